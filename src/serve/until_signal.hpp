// Runs a server until SIGTERM or SIGINT: then it stops accepting, answers the requests in
// flight and returns, as a service manager expects.
#pragma once
#include "serve/server.hpp"

namespace alexnet {

void serve_until_signal(InferenceServer& server);

}  // namespace alexnet
