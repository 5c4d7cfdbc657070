#include "serve/http_message.hpp"

#include <algorithm>
#include <cctype>

namespace alexnet {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: %XX escapes, '+' for a space.
std::string percent_decode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      const int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1, lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;
      if (lo < 0) throw HttpMessageError{"malformed percent escape in the query: " + s};
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The value of `key` among a header's ;-separated parameters (quoted or not), nullopt if absent.
std::optional<std::string> header_param(const std::string& header, const std::string& key) {
  const std::string low = lower(header);
  for (size_t at = low.find(';'); at != std::string::npos; at = low.find(';', at + 1)) {
    size_t k = at + 1;
    while (k < low.size() && low[k] == ' ') ++k;
    if (low.compare(k, key.size() + 1, key + "=") != 0) continue;
    size_t v = k + key.size() + 1;
    if (v < header.size() && header[v] == '"') {
      const size_t end = header.find('"', v + 1);
      if (end == std::string::npos) return std::nullopt;
      return header.substr(v + 1, end - v - 1);
    }
    const size_t end = header.find(';', v);
    std::string value = header.substr(v, end == std::string::npos ? std::string::npos : end - v);
    while (!value.empty() && value.back() == ' ') value.pop_back();
    return value;
  }
  return std::nullopt;
}

// The Content-Disposition header among a part's header lines.
std::string disposition(const std::string& head) {
  size_t at = 0;
  while (at < head.size()) {
    size_t end = head.find("\r\n", at);
    if (end == std::string::npos) end = head.size();
    const std::string line = head.substr(at, end - at);
    const size_t colon = line.find(':');
    if (colon != std::string::npos && lower(line.substr(0, colon)) == "content-disposition") return line.substr(colon + 1);
    at = end + 2;
  }
  return "";
}

}  // namespace

std::string HttpRequest::param(const std::string& key, const std::string& fallback) const {
  const auto it = params.find(key);
  return it == params.end() ? fallback : it->second;
}

std::string HttpRequest::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::pair<std::string, std::map<std::string, std::string>> parse_target(const std::string& target) {
  const size_t q = target.find('?');
  std::map<std::string, std::string> params;
  if (q != std::string::npos) {
    const std::string query = target.substr(q + 1);
    size_t at = 0;
    while (at <= query.size()) {
      size_t end = query.find('&', at);
      if (end == std::string::npos) end = query.size();
      const std::string pair = query.substr(at, end - at);
      if (!pair.empty()) {
        const size_t eq = pair.find('=');
        params[percent_decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
      }
      at = end + 1;
    }
  }
  return {target.substr(0, q), std::move(params)};
}

bool is_multipart(const std::string& content_type) { return lower(content_type).rfind("multipart/form-data", 0) == 0; }

std::optional<FormFile> multipart_field(const std::string& content_type, const std::string& body,
                                        const std::string& name) {
  const auto boundary = header_param(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 200)
    throw HttpMessageError{"multipart form without a usable boundary in its Content-Type"};
  const std::string delimiter = "--" + *boundary;
  // The first delimiter opens the body or follows a preamble's line break.
  size_t at = body.compare(0, delimiter.size(), delimiter) == 0 ? 0 : body.find("\r\n" + delimiter);
  if (at == std::string::npos) throw HttpMessageError{"multipart body without its boundary"};
  at += at == 0 ? delimiter.size() : delimiter.size() + 2;
  for (;;) {
    if (body.compare(at, 2, "--") == 0) return std::nullopt;  // the closing delimiter
    if (body.compare(at, 2, "\r\n") != 0) throw HttpMessageError{"multipart body: a boundary not followed by a line break"};
    const size_t head_end = body.find("\r\n\r\n", at + 2);
    if (head_end == std::string::npos) throw HttpMessageError{"multipart body: a part without the end of its headers"};
    const size_t next = body.find("\r\n" + delimiter, head_end + 4);
    if (next == std::string::npos) throw HttpMessageError{"multipart body without its closing boundary"};
    const std::string head = body.substr(at + 2, head_end - at - 2);
    const std::string d = disposition(head);
    if (header_param(d, "name") == name)
      return FormFile{body.substr(head_end + 4, next - head_end - 4), header_param(d, "filename").value_or("")};
    at = next + 2 + delimiter.size();
  }
}

}  // namespace alexnet
