// MmioDevice (devices/mmio_device.h): region forwarding, the protection asynchronous work runs under
// (device lock, re-entrancy guard, nothing after unrealize), guest errors reported once per kind, and
// the partial-register helpers.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "device_fixture.h"
#include "devices/mmio_device.h"
#include "locking/bql.h"

using namespace locklab;
using namespace locklab::test;

namespace {

// One 8-byte register at offset 0; everything else is a guest error.
class Probe final : public MmioDevice {
public:
    Probe() : MmioDevice("probe", 0x100, 1, 8) {}
    uint64_t reg = 0;  // device lock

    template <class F>
    void async(F&& fn) { run_async(std::forward<F>(fn)); }
    void report(const char* what) { guest_error(what, 0x42); }

private:
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override
    {
        if (offset >= 8) return MemTx::AccessError;
        value = reg_read_part(reg, unsigned(offset), size);
        return MemTx::Ok;
    }
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override
    {
        if (offset >= 8) return MemTx::AccessError;
        reg = reg_write_part(reg, unsigned(offset), size, value);
        return MemTx::Ok;
    }
};

constexpr hwaddr kBase = 0x4000'0000;

}  // namespace

TEST_CASE("An MmioDevice's region forwards accesses to its register callbacks", "[devices][mmio]")
{
    AddressSpace as("mmio-test");
    Mapped<Probe> probe(as, kBase, make_object<Probe>());
    write_reg(as, kBase, 8, 0x1122334455667788);
    write_reg(as, kBase + 2, 2, 0xaaaa);
    CHECK(probe->reg == 0x11223344aaaa7788);
    CHECK(read_reg(as, kBase + 4, 4) == 0x11223344);
    CHECK(read_reg(as, kBase + 1, 1) == 0x77);
    CHECK(std::string(probe->type_name()) == "probe");
    CHECK(probe->mmio().name() == "probe");
}

TEST_CASE("Asynchronous device work runs under the BQL with the device engaged", "[devices][mmio]")
{
    AddressSpace as("mmio-test");
    Mapped<Probe> probe(as, kBase, make_object<Probe>());
    bool ran = false;
    probe->async([&] {
        ran = true;
        CHECK(bql_locked());
        CHECK(probe->guard().engaged());
        // DMA into its own registers from its own timer would re-enter the device: refused.
        CHECK(as.write(kBase, 8, 1) == MemTx::Reentrant);
    });
    CHECK(ran);
    CHECK_FALSE(bql_locked());
    CHECK_FALSE(probe->guard().engaged());
    CHECK(probe->reg == 0);
}

TEST_CASE("Asynchronous work that arrives after unrealize does not run", "[devices][mmio]")
{
    Ref<Probe> probe = make_object<Probe>();
    probe->realize();
    probe->unrealize();
    bool ran = false;
    probe->async([&] { ran = true; });
    CHECK_FALSE(ran);
}

TEST_CASE("A guest error is reported once per kind and counted every time", "[devices][mmio]")
{
    Ref<Probe> probe = make_object<Probe>();
    TempFile log;
    std::fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    const int fd = open(log.path().c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    dup2(fd, STDERR_FILENO);
    probe->report("bad thing");
    probe->report("bad thing");
    probe->report("other thing");
    std::fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    CHECK(probe->guest_errors() == 3);
    const std::string text = log.contents();
    auto count = [&](const std::string& what) {
        size_t n = 0;
        for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    };
    CHECK(count("probe: guest error: bad thing (offset 0x42") == 1);
    CHECK(count("other thing") == 1);
}

TEST_CASE("Partial register helpers read and replace the bytes an access covers", "[devices][mmio]")
{
    CHECK(reg_read_part(0x1122334455667788, 4, 4) == 0x11223344);
    CHECK(reg_read_part(0x1122334455667788, 0, 8) == 0x1122334455667788);
    CHECK(reg_read_part(0x1122334455667788, 7, 1) == 0x11);
    CHECK(reg_write_part(0x1122334455667788, 4, 4, 0xdeadbeefcafe) == 0xbeefcafe55667788);
    CHECK(reg_write_part(0x1122334455667788, 0, 8, 5) == 5);
    CHECK(reg_write_part(0, 1, 2, 0xffff) == 0xffff00);
}
