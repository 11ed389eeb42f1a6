#include "common/io_thread.hpp"

namespace sb::itest {

IoThread::IoThread() : work_(boost::asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}

IoThread::~IoThread() {
  work_.reset();
  ioc_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sb::itest
