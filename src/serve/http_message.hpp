// What the HTTP transport (serve/http_server.hpp) hands to a handler and takes back, without
// Boost in sight: a request's method, path, query parameters, headers and body; an answer's
// status, content and extra headers. And the two parsers of request bytes the routes need:
// the query string (percent-decoding) and a multipart/form-data field.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace alexnet {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // "/predict" (the target without its query)
  std::map<std::string, std::string> params;   // the query, percent-decoded (a repeated key: the last)
  std::map<std::string, std::string> headers;  // names lower-cased (a repeated name: the last)
  std::string body;

  bool has_param(const std::string& key) const { return params.count(key) != 0; }
  std::string param(const std::string& key, const std::string& fallback = "") const;
  std::string header(const std::string& lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type/-Length
};

// Splits a request target "/p?a=1&b=x%20y" into the path and its parameters. A malformed
// percent escape throws HttpMessageError.
std::pair<std::string, std::map<std::string, std::string>> parse_target(const std::string& target);

struct FormFile {
  std::string content;
  std::string filename;  // empty when the part names none
};

// The field `name` of a multipart/form-data body (RFC 7578), nullopt when the form has none.
// A content type without a boundary, or a body that is not such a form, throws HttpMessageError.
std::optional<FormFile> multipart_field(const std::string& content_type, const std::string& body,
                                        const std::string& name);

bool is_multipart(const std::string& content_type);

struct HttpMessageError {
  std::string message;
};

}  // namespace alexnet
