#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <system_error>
#include <thread>

#include "loop/aio_context.h"
#include "loop/event_notifier.h"

using namespace locklab;

namespace {
struct Pipe {
    int rd = -1, wr = -1;
    Pipe()
    {
        int fds[2];
        REQUIRE(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
        rd = fds[0];
        wr = fds[1];
    }
    ~Pipe()
    {
        if (rd >= 0) close(rd);
        if (wr >= 0) close(wr);
    }
    void close_writer()
    {
        close(wr);
        wr = -1;
    }
};
}  // namespace

TEST_CASE("A read handler runs when its fd becomes readable and not after removal", "[loop][fd]")
{
    AioContext ctx("t");
    Pipe p;
    std::string got;
    ctx.set_fd_handler(p.rd, [&] {
        char buf[16];
        ssize_t n = read(p.rd, buf, sizeof buf);
        if (n > 0) got.append(buf, size_t(n));
    });
    CHECK_FALSE(ctx.poll(false));
    REQUIRE(write(p.wr, "hi", 2) == 2);
    CHECK(ctx.poll(true));
    CHECK(got == "hi");

    ctx.set_fd_handler(p.rd, {});
    REQUIRE(write(p.wr, "x", 1) == 1);
    CHECK_FALSE(ctx.poll(false));
    CHECK(got == "hi");
}

TEST_CASE("A write handler runs while its fd is writable", "[loop][fd]")
{
    AioContext ctx("t");
    Pipe p;
    int calls = 0;
    ctx.set_fd_handler(p.wr, {}, [&] { ++calls; });
    CHECK(ctx.poll(false));
    CHECK(calls == 1);
    ctx.set_fd_handler(p.wr, {}, {});
}

TEST_CASE("A read handler sees end-of-file when the writer closes", "[loop][fd]")
{
    AioContext ctx("t");
    Pipe p;
    bool eof = false;
    ctx.set_fd_handler(p.rd, [&] {
        char c;
        if (read(p.rd, &c, 1) == 0) {
            eof = true;
            ctx.set_fd_handler(p.rd, {});  // removing itself from inside the handler is allowed
        }
    });
    p.close_writer();
    CHECK(ctx.poll(true));
    CHECK(eof);
    CHECK_FALSE(ctx.poll(false));
}

TEST_CASE("Registering an fd that epoll refuses is a clear error", "[loop][fd]")
{
    AioContext ctx("t");
    CHECK_THROWS_AS(ctx.set_fd_handler(-1, [] {}), std::system_error);
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    CHECK_THROWS_AS(ctx.set_fd_handler(fileno(f), [] {}), std::system_error);  // regular file
    std::fclose(f);
}

TEST_CASE("An event notifier set from another thread runs its handler once per set-and-clear", "[loop][fd][notifier]")
{
    AioContext ctx("t");
    ctx.attach_current_thread();
    EventNotifier n;
    int calls = 0;
    ctx.set_event_notifier(n, [&] { ++calls; });
    std::thread other([&] {
        n.set();
        n.set();  // collapses with the first
    });
    other.join();
    CHECK(ctx.poll(true));
    CHECK(calls == 1);
    CHECK_FALSE(ctx.poll(false));
    ctx.set_event_notifier(n, {});
    n.set();
    CHECK_FALSE(ctx.poll(false));
    CHECK(n.test_and_clear());
    CHECK_FALSE(n.test_and_clear());
}

TEST_CASE("Removing a handler from another thread returns only after a call under way has returned",
          "[loop][fd][notifier]")
{
    AioContext ctx("t");
    auto n = std::make_unique<EventNotifier>();
    std::atomic<bool> entered{false}, release{false}, returned{false};
    ctx.set_event_notifier(*n, [&] {
        entered = true;
        while (!release) std::this_thread::yield();
        returned = true;
    });
    n->set();
    std::thread poller([&] { ctx.poll(true); });
    while (!entered) std::this_thread::yield();
    std::atomic<bool> removed{false};
    std::thread remover([&] {
        ctx.set_event_notifier(*n, {});
        removed = true;
        CHECK(returned);  // and now the notifier (its fd) may go: the handler no longer reads it
        n.reset();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(removed);  // still waiting for the handler (which spins until released)
    release = true;
    remover.join();
    poller.join();
    CHECK(removed);
}

TEST_CASE("A handler may remove itself and another handler of its context without waiting for itself",
          "[loop][fd][notifier]")
{
    AioContext ctx("t");
    ctx.attach_current_thread();
    EventNotifier a, b;
    int calls = 0;
    ctx.set_event_notifier(b, [&] { ++calls; });
    ctx.set_event_notifier(a, [&] {
        ++calls;
        ctx.set_event_notifier(a, {});
        ctx.set_event_notifier(b, {});
    });
    a.set();
    CHECK(ctx.poll(true));
    CHECK(calls == 1);
    b.set();
    CHECK_FALSE(ctx.poll(false));
}
