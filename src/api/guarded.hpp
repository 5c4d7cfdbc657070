// The API's one rule for errors: whatever the library throws leaves it as alexnet::Error with
// the message the command would print (its one line naming the file, tensor or flag).
#pragma once
#include <alexnet/alexnet.hpp>
#include <oneapi/dnnl/dnnl.hpp>

#include <new>
#include <utility>

#include "util/error.hpp"

namespace alexnet::api {

template <class F>
auto guarded(F&& work) -> decltype(work()) {
  try {
    return std::forward<F>(work)();
  } catch (const Error&) {
    throw;
  } catch (const UserError& e) {
    throw Error(e.what());
  } catch (const InternalError& e) {
    throw Error(std::string(e.what()) + "; please report it");
  } catch (const dnnl::error& e) {
    throw Error(e.status == dnnl_out_of_memory ? std::string("out of memory (oneDNN: ") + e.what() + ")"
                                               : std::string("oneDNN: ") + e.what());
  } catch (const std::bad_alloc&) {
    throw Error("out of memory");
  }
}

}  // namespace alexnet::api
