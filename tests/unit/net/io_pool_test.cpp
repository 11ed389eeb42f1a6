#include "net/io_pool.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>

namespace sb::net {
namespace {

TEST(RoomHint, TakesTheRoomParameterAsWritten) {
  EXPECT_EQ(room_hint("/ws?room=demo"), "demo");
  EXPECT_EQ(room_hint("/ws?name=x&room=a%20b&z=1"), "a%20b");
  EXPECT_EQ(room_hint("/ws?room=first&room=second"), "first");
  EXPECT_EQ(room_hint("/ws?roomy=1&room=r"), "r");
}

TEST(RoomHint, EmptyWithoutOne) {
  EXPECT_EQ(room_hint("/ws"), "");
  EXPECT_EQ(room_hint("/ws?"), "");
  EXPECT_EQ(room_hint("/ws?room"), "");
  EXPECT_EQ(room_hint("/ws?room="), "");
  EXPECT_EQ(room_hint("/ws?x=room=a"), "");
  EXPECT_EQ(room_hint("/ws?&&"), "");
}

TEST(IoPool, OneContextPerThreadAndAtLeastOne) {
  EXPECT_EQ(IoPool(0).size(), 1u);
  IoPool pool(3);
  ASSERT_EQ(pool.size(), 3u);
  std::set<boost::asio::io_context*> seen;
  for (int i = 0; i < 6; ++i) seen.insert(&pool.next());
  EXPECT_EQ(seen.size(), 3u) << "round-robin reaches every context";
}

TEST(IoPool, ARoomAlwaysHasTheSameHomeAndRoomsSpreadOverAll) {
  IoPool pool(4);
  std::set<boost::asio::io_context*> homes;
  for (int r = 0; r < 200; ++r) {
    const std::string room = "room" + std::to_string(r);
    auto* home = &pool.home(room);
    EXPECT_EQ(home, &pool.home(std::string(room))) << room;
    homes.insert(home);
  }
  EXPECT_EQ(homes.size(), 4u);
}

TEST(IoPool, ExtraContextsRunUntilStopped) {
  IoPool pool(2);
  // With nothing to do, an extra context's run() would return at once without the pool's work guard.
  std::thread t([&] { pool.at(1).run(); });
  std::promise<void> ran;
  boost::asio::post(pool.at(1), [&] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  pool.stop();
  t.join();  // returns: stop() ends run()
  EXPECT_TRUE(pool.at(1).stopped());
}

}  // namespace
}  // namespace sb::net
