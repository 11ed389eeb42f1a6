// One Asio event loop on its own thread, shared by any number of test clients. Everything a client does on
// its socket runs on this one thread, so a client's state needs no strand of its own.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>

namespace sb::itest {

class IoThread {
 public:
  IoThread();
  ~IoThread();  // stops the loop and joins the thread; pending handlers are destroyed, not run
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::io_context& context() { return ioc_; }
  bool in_this_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace sb::itest
