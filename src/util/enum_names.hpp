// An enum's names, as flags and files spell them: one table per enum, read both ways, so that
// a configuration is checked once, where its text becomes a value.
#pragma once
#include <cstddef>
#include <string>
#include <utility>

#include "util/error.hpp"

namespace alexnet {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

// The value named `text`, or a UserError: "<what> must be a, b or c, not 'text'".
template <class E, size_t N>
E enum_from_name(const EnumName<E> (&names)[N], const std::string& text, const std::string& what) {
  std::string list;
  for (size_t i = 0; i < N; ++i) {
    if (text == names[i].name) return names[i].value;
    list += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + names[i].name;
  }
  fail(what + " must be " + list + ", not '" + printable(text) + "'");
}

template <class E, size_t N>
const char* enum_name(const EnumName<E> (&names)[N], E value) {
  for (const EnumName<E>& n : names)
    if (n.value == value) return n.name;
  internal_error("an enum value without a name");
}

}  // namespace alexnet
