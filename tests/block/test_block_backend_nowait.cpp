// BlockBackend's inline fast path (AioMode::Nowait): a read or write the driver can do without
// blocking completes without a worker thread, yet `done` still runs later in the backend's
// AioContext (never inside the submitting call) and drained sections still wait for it; what the
// driver cannot do at once (would block, refused, or only half done) is done whole by a worker.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "block/block_backend.h"
#include "block_test_util.h"
#include "loop/iothread.h"
#include "loop/main_loop.h"
#include "completions.h"
#include "memory_disk.h"
#include "tests/loop/test_util.h"

using namespace locklab;
using namespace std::chrono_literals;
using test::MemoryDisk;
using test::MemoryNowait;

namespace {

constexpr uint64_t kDisk = 1 << 20;

struct Fixture {
    explicit Fixture(MemoryNowait mode, AioMode aio = AioMode::Nowait) : io("nowait-io")
    {
        auto d = std::make_unique<MemoryDisk>(kDisk);
        disk = d.get();
        disk->set_nowait(mode);
        disk->fill(0, test::pattern(0, kDisk, 7));
        blk = std::make_unique<BlockBackend>("n0", std::move(d), io.context(), aio);
    }
    // Submits from the IOThread (the device's event loop), flagging the submitting calls.
    template <class Fn>
    void submit(Fn fn)
    {
        run_in_context(io.context(), [&] {
            rec.submitting = true;
            fn();
            rec.submitting = false;
        });
    }
    IOThread io;
    MemoryDisk* disk = nullptr;  // owned by blk
    std::unique_ptr<BlockBackend> blk;
    test::Completions rec;
};

IoVector span_of(std::vector<uint8_t>& v) { return {std::span<uint8_t>(v)}; }

}  // namespace

TEST_CASE("BlockBackend nowait: inline reads and writes complete in the AioContext's thread, after submit() returned",
          "[block][backend][nowait]")
{
    Fixture f(MemoryNowait::Works);
    std::vector<uint8_t> w = test::pattern(4096, 8192, 99), r1(8192), r2(8192);
    uint64_t in_flight_after_submit = 0;
    f.submit([&] {
        f.blk->write(4096, span_of(w), f.rec.make());
        f.blk->read(65536, span_of(r1), f.rec.make());
        f.blk->flush(f.rec.make());  // never inline
        in_flight_after_submit = f.blk->in_flight();
    });
    CHECK(in_flight_after_submit == 3);  // counted while their completions are pending
    REQUIRE(test::eventually([&] { return f.rec.count() == 3; }));
    CHECK(f.rec.all(0, f.io.thread_id()));
    CHECK(f.rec.reentrant.load() == 0);
    CHECK(f.blk->nowait_completed() == 2);
    CHECK(f.blk->nowait_fallbacks() == 0);
    CHECK(f.disk->flushes() == 1);
    CHECK(r1 == test::pattern(65536, 8192, 7));

    f.submit([&] { f.blk->read(4096, span_of(r2), f.rec.make()); });
    REQUIRE(test::eventually([&] { return f.rec.count() == 4; }));
    CHECK(r2 == w);
    CHECK(f.blk->nowait_completed() == 3);
    REQUIRE(test::eventually([&] { return f.blk->in_flight() == 0; }));
}

TEST_CASE("BlockBackend nowait: what the driver cannot do at once is done whole by a worker",
          "[block][backend][nowait]")
{
    // Again: would block; Unsupported: refused; Partial: half moved, then would block (a short
    // RWF_NOWAIT transfer). The result must be as if the fast path had not been tried.
    const MemoryNowait mode = GENERATE(MemoryNowait::Again, MemoryNowait::Unsupported, MemoryNowait::Partial);
    Fixture f(mode);
    std::vector<uint8_t> w = test::pattern(8192, 16384, 42);
    std::vector<uint8_t> r(16384, 0xee), past_end(512);
    f.submit([&] {
        f.blk->write(8192, span_of(w), f.rec.make());
        f.blk->read(kDisk, span_of(past_end), f.rec.make());  // -EINVAL, from the worker's read()
    });
    REQUIRE(test::eventually([&] { return f.rec.count() == 2; }));
    f.submit([&] { f.blk->read(8192, span_of(r), f.rec.make()); });
    REQUIRE(test::eventually([&] { return f.rec.count() == 3; }));
    CHECK(f.rec.count_in(f.io.thread_id()) == 3);
    {
        std::lock_guard lk(f.rec.m);
        CHECK(std::count(f.rec.results.begin(), f.rec.results.end(), 0) == 2);
        CHECK(std::count(f.rec.results.begin(), f.rec.results.end(), -EINVAL) == 1);
    }
    CHECK(r == w);  // a read's half-moved buffer was overwritten whole, not left half-stale
    std::vector<uint8_t> expected = test::pattern(0, kDisk, 7);
    std::copy(w.begin(), w.end(), expected.begin() + 8192);
    CHECK(f.disk->contents() == expected);  // a half-done write was redone whole, at its offset
    CHECK(f.blk->nowait_completed() == 0);
    CHECK(f.blk->nowait_fallbacks() == 3);
    CHECK(f.rec.reentrant.load() == 0);
}

TEST_CASE("BlockBackend aio=threads never tries the driver's non-blocking variants", "[block][backend][nowait]")
{
    Fixture f(MemoryNowait::Works, AioMode::Threads);
    CHECK(f.blk->aio_mode() == AioMode::Threads);
    std::vector<uint8_t> buf(4096);
    f.submit([&] {
        f.blk->write(0, span_of(buf), f.rec.make());
        f.blk->read(0, span_of(buf), f.rec.make());
    });
    REQUIRE(test::eventually([&] { return f.rec.count() == 2; }));
    CHECK(f.rec.all(0, f.io.thread_id()));
    CHECK(f.disk->nowait_tries() == 0);
    CHECK(f.blk->nowait_completed() == 0);
    CHECK(f.blk->nowait_fallbacks() == 0);
}

TEST_CASE("BlockBackend nowait: a drained section waits for inline completions not yet run, and they run in "
          "the backend's AioContext even when submitted from another thread",
          "[block][backend][nowait]")
{
    main_context().attach_current_thread();
    Fixture f(MemoryNowait::Works);
    // Keep the IOThread busy in a BH, so the inline completions wait in its queue.
    std::atomic<bool> release{false}, busy{false};
    f.io.context().schedule_oneshot([&] {
        busy = true;
        while (!release.load()) std::this_thread::sleep_for(1ms);
    });
    REQUIRE(test::eventually([&] { return busy.load(); }));

    std::vector<std::vector<uint8_t>> bufs(5, std::vector<uint8_t>(4096));
    for (auto& b : bufs) f.blk->read(0, span_of(b), f.rec.make());  // a vCPU-like submitter: this thread
    CHECK(f.blk->nowait_completed() == 5);  // done inline...
    CHECK(f.blk->in_flight() == 5);         // ...but in flight until `done` has run
    CHECK(f.rec.count() == 0);

    std::thread releaser([&] {
        std::this_thread::sleep_for(50ms);
        release = true;
    });
    f.blk->drained_begin();  // from the main loop: waits for the IOThread to run the completions
    CHECK(f.rec.count() == 5);
    CHECK(f.blk->in_flight() == 0);
    f.blk->drained_end();
    releaser.join();
    CHECK(f.rec.all(0, f.io.thread_id()));
    for (const auto& b : bufs) CHECK(b == test::pattern(0, 4096, 7));
}

namespace {

// Writes a few patterns through a backend on `image`, then reads the whole disk back in 64 KiB
// requests of three segments each; returns what the reads gave.
std::vector<uint8_t> write_then_read(const std::string& image, const std::string& format, AioMode aio,
                                     uint64_t& inline_done)
{
    IOThread io("nowait-file");
    BlockBackend blk("f0", open_block_driver(image, {format, false}), io.context(), aio);
    std::vector<std::vector<uint8_t>> writes;
    for (unsigned i = 0; i < 6; ++i) writes.push_back(test::pattern(i * 150000, 4096 * (i + 1), 50 + i));
    std::vector<uint8_t> back(kDisk, 0xee);
    std::atomic<unsigned> done{0}, ok{0};
    auto count = [&](int ret) {
        ok += ret == 0;
        ++done;
    };
    run_in_context(io.context(), [&] {
        for (unsigned i = 0; i < writes.size(); ++i) {
            auto& w = writes[i];  // two segments: sector-sized, then the rest
            blk.write(i * 150000 / 512 * 512, {std::span<uint8_t>(w).first(512), std::span<uint8_t>(w).subspan(512)},
                      count);
        }
    });
    REQUIRE(test::eventually([&] { return done.load() == writes.size(); }));
    run_in_context(io.context(), [&] {
        for (uint64_t off = 0; off < kDisk; off += 65536) {
            std::span<uint8_t> req(back.data() + off, 65536);
            blk.read(off, {req.first(4096), req.subspan(4096, 1536), req.subspan(5632)}, count);
        }
    });
    REQUIRE(test::eventually([&] { return done.load() == writes.size() + kDisk / 65536; }));
    CHECK(ok.load() == done.load());
    inline_done = blk.nowait_completed();
    return back;
}

}  // namespace

TEST_CASE("BlockBackend on raw and qcow2 files: aio=nowait reads what aio=threads reads", "[block][backend][nowait]")
{
    const std::string format = GENERATE(as<std::string>{}, "raw", "qcow2");
    test::TempDir dir;
    const std::string base = dir.file("base.raw");
    test::write_file(base, test::pattern(0, kDisk, 9));
    if (format == "qcow2") REQUIRE_QEMU_IMG();
    std::vector<uint8_t> result[2];
    uint64_t inline_done[2] = {};
    for (const AioMode aio : {AioMode::Threads, AioMode::Nowait}) {
        const std::string image = dir.file(std::string(aio_mode_name(aio)) + "." + format);
        REQUIRE(test::run(format == "raw" ? "cp " + base + " " + image
                                          : "qemu-img convert -f raw -O qcow2 " + base + " " + image) == 0);
        const int i = aio == AioMode::Nowait;
        result[i] = write_then_read(image, format, aio, inline_done[i]);
    }
    CHECK(result[0] == result[1]);
    std::vector<uint8_t> expected = test::pattern(0, kDisk, 9);
    for (unsigned i = 0; i < 6; ++i) {
        const auto w = test::pattern(i * 150000, 4096 * (i + 1), 50 + i);
        std::copy(w.begin(), w.end(), expected.begin() + i * 150000 / 512 * 512);
    }
    CHECK(result[1] == expected);
    CHECK(inline_done[0] == 0);
    if (test::nowait_reads_work(base)) CHECK(inline_done[1] > 0);  // the pages were cached: reads went inline
}
