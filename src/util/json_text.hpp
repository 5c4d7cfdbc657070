// JSON text that never throws on the strings it holds. Names from outside (a file or folder
// name, a multipart filename, a class name) need not be UTF-8, and nlohmann's dump() throws on
// bytes that are not; here they become U+FFFD, so one odd name cannot fail an answer or a log.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace alexnet {

inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace alexnet
