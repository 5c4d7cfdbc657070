// The page `alexnet serve` answers at GET /: src/serve/page.html, embedded at build time.
#pragma once

namespace alexnet {
extern const char* const kServePage;
}
