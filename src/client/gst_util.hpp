// Small helpers around GStreamer's C API: owning pointers, and the bridge that carries a callback from a
// GStreamer thread to the client's event loop.
#pragma once

#include <gst/gst.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <string>
#include <utility>

namespace sb::client::gst {

struct ObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
  }
};
using ElementPtr = std::unique_ptr<GstElement, ObjectUnref>;
using PadPtr = std::unique_ptr<GstPad, ObjectUnref>;

struct CapsUnref {
  void operator()(GstCaps* c) const {
    if (c) gst_caps_unref(c);
  }
};
using CapsPtr = std::unique_ptr<GstCaps, CapsUnref>;

struct GFreeDeleter {
  void operator()(gpointer p) const { g_free(p); }
};
using GCharPtr = std::unique_ptr<gchar, GFreeDeleter>;

struct ErrorFree {
  void operator()(GError* e) const {
    if (e) g_error_free(e);
  }
};
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;

// What GStreamer threads hold to reach an object that lives on the event loop. It owns no strong
// reference: a callback arriving after the object is gone is dropped on the loop. GLib owns each
// LoopLink it is given and frees it with `destroy` (GDestroyNotify / GClosureNotify).
template <class T>
struct LoopLink {
  boost::asio::any_io_executor executor;
  std::weak_ptr<T> target;

  // Runs f(T&) on the event loop, if the target still exists then.
  template <class F>
  void post(F&& f) const {
    boost::asio::post(executor, [w = target, f = std::forward<F>(f)]() mutable {
      if (auto t = w.lock()) f(*t);
    });
  }
  static void destroy(gpointer p) { delete static_cast<LoopLink*>(p); }
  static void destroy_closure(gpointer p, GClosure*) { delete static_cast<LoopLink*>(p); }
};

// Connects `callback` to `signal` of `instance` with a fresh LoopLink as user data.
template <class T>
gulong connect(gpointer instance, const char* signal, GCallback callback, const LoopLink<T>& link) {
  return g_signal_connect_data(instance, signal, callback, new LoopLink<T>(link), &LoopLink<T>::destroy_closure,
                               GConnectFlags{});
}

}  // namespace sb::client::gst
