// --trace: Chrome/Perfetto trace-event JSON of lock waits and holds and MMIO dispatches.
#include <catch2/catch.hpp>

#include <pthread.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "locking/thread_name.h"
#include "locking/trace.h"
#include "hooked_mutex.h"

using namespace locklab;
using locklab::test::HookedMutex;
using nlohmann::json;

namespace {

// Starts a recording with `max_events` for one test; stops it at the end.
struct Tracing {
    explicit Tracing(uint64_t max_events = kTraceDefaultMaxEvents) { trace_enable(true, max_events); }
    ~Tracing() { trace_enable(false); }
};

std::vector<json> events(const json& trace, std::string_view cat)
{
    std::vector<json> out;
    for (const auto& e : trace["traceEvents"])
        if (e.value("cat", "") == cat) out.push_back(e);
    return out;
}

}  // namespace

TEST_CASE("lock holds and contended waits become complete events on their thread's track",
          "[locking][trace]")
{
    Tracing on;
    HookedMutex m("test.trace.lock");
    int worker_tid = 0;
    m.lock();
    std::thread worker([&] {
        pthread_setname_np(pthread_self(), "trace-worker");
        worker_tid = current_thread_id();
        m.lock();  // waits for the main thread
        m.unlock();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    m.unlock();
    worker.join();

    const json t = trace_json();
    CHECK(t["displayTimeUnit"] == "ns");
    bool named = false;
    for (const auto& e : t["traceEvents"])
        if (e["ph"] == "M" && e["name"] == "thread_name" && e["tid"] == worker_tid)
            named = e["args"]["name"] == "trace-worker";
    CHECK(named);

    const auto holds = events(t, "lock-hold");
    REQUIRE(holds.size() == 2);
    for (const auto& e : holds) {
        CHECK(e["name"] == "test.trace.lock");
        CHECK(e["ph"] == "X");
        CHECK(e["ts"].get<double>() >= 0);
        CHECK(e["pid"] == getpid());
    }
    const auto main_hold = holds[0]["tid"] == worker_tid ? holds[1] : holds[0];
    CHECK(main_hold["tid"] == current_thread_id());
    CHECK(main_hold["dur"].get<double>() >= 20'000);  // µs: the 20 ms sleep

    // The worker either waited (contended) or, if it started late, did not: a wait event exists
    // exactly when the acquisition was contended, on the worker's track.
    const auto waits = events(t, "lock-wait");
    REQUIRE(waits.size() <= 1);
    for (const auto& e : waits) {
        CHECK(e["tid"] == worker_tid);
        CHECK(e["name"] == "test.trace.lock");
        // The wait ends after the main thread's hold began.
        CHECK(e["ts"].get<double>() + e["dur"].get<double>() >= main_hold["ts"].get<double>());
    }
}

TEST_CASE("an MMIO dispatch becomes a complete event with region, address, size and direction",
          "[locking][trace]")
{
    Tracing on;
    {
        TraceMmioScope scope("uart0", 0x1000'0005, 1, false);
    }
    {
        TraceMmioScope scope("plic", 0x0c20'0004, 4, true);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const auto mmio = events(trace_json(), "mmio");
    REQUIRE(mmio.size() == 2);
    CHECK(mmio[0]["name"] == "uart0");
    CHECK(mmio[0]["args"]["addr"] == "0x10000005");
    CHECK(mmio[0]["args"]["size"] == 1);
    CHECK(mmio[0]["args"]["op"] == "read");
    CHECK(mmio[1]["name"] == "plic");
    CHECK(mmio[1]["args"]["op"] == "write");
    CHECK(mmio[1]["dur"].get<double>() >= 1000);
    CHECK(mmio[0]["ts"].get<double>() <= mmio[1]["ts"].get<double>());
}

TEST_CASE("the trace keeps at most its event cap and says how many it dropped", "[locking][trace]")
{
    Tracing on(10);
    HookedMutex m("test.trace.cap");
    for (int i = 0; i < 100; ++i) {
        m.lock();
        m.unlock();
    }
    const json t = trace_json();
    CHECK(events(t, "lock-hold").size() == 10);
    CHECK(t["otherData"]["max_events"] == 10);
    CHECK(t["otherData"]["recorded_events"] == 10);
    CHECK(t["otherData"]["dropped_events"] == 90);
}

TEST_CASE("nothing is traced while tracing is off", "[locking][trace]")
{
    trace_enable(true);
    trace_enable(false);
    HookedMutex m("test.trace.off");
    m.lock();
    m.unlock();
    {
        TraceMmioScope scope("uart0", 0, 1, true);
    }
    const json t = trace_json();
    CHECK(events(t, "lock-hold").empty());
    CHECK(events(t, "mmio").empty());
}

TEST_CASE("the trace file written at exit parses and holds the same events", "[locking][trace]")
{
    Tracing on;
    HookedMutex m("test.trace.file \"quoted\"");
    m.lock();
    m.unlock();
    const auto path = std::filesystem::temp_directory_path() / "locklab_test_trace.json";
    trace_write(path.string());
    std::ifstream f(path);
    const json t = json::parse(f);
    std::filesystem::remove(path);
    const auto holds = events(t, "lock-hold");
    REQUIRE(holds.size() == 1);
    CHECK(holds[0]["name"] == "test.trace.file \"quoted\"");
    CHECK(t == trace_json());
}

TEST_CASE("writing a trace to an unwritable path is a clear error", "[locking][trace]")
{
    CHECK_THROWS_WITH(trace_write("/nonexistent-dir/trace.json"),
                      Catch::Contains("cannot write trace to /nonexistent-dir/trace.json"));
}
