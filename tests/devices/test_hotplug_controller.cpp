// The hot-plug controller (devices/hotplug_controller.h): its documented registers as a guest sees
// them, the events and interrupt the system layer's calls produce, and the EJECT handshake.
#include <catch2/catch.hpp>

#include <vector>

#include "devices/hotplug_controller.h"
#include "devices/virt_memmap.h"
#include "tests/devices/device_fixture.h"

using namespace locklab;
using namespace locklab::test;
using HC = HotplugController;

namespace {

constexpr hwaddr kBase = virt::kHotplugBase;
constexpr unsigned kLine = 7;  // the line of FakeIrqSink the controller drives

struct ControllerFixture {
    AddressSpace as{"test"};
    FakeIrqSink irq;
    Mapped<HC> hc{as, kBase, make_object<HC>(virt::kHotplugSize, IrqLine(&irq, kLine))};

    static hwaddr slot_reg(unsigned slot, hwaddr reg) { return kBase + HC::kSlotBase + HC::kSlotStride * slot + reg; }
    uint32_t read(hwaddr addr) { return uint32_t(read_reg(as, addr, 4)); }
    void write(hwaddr addr, uint32_t v) { write_reg(as, addr, 4, v); }
};

}  // namespace

TEST_CASE_METHOD(ControllerFixture, "The hot-plug controller identifies itself and counts its slots",
                 "[devices][hotplug]")
{
    CHECK(read(kBase + HC::kMagic) == HC::kMagicValue);
    CHECK(read(kBase + HC::kVersionReg) == 1);
    CHECK(read(kBase + HC::kSlotCount) == 24);
    CHECK(read(kBase + HC::kEventStatus) == 0);
    CHECK_FALSE(irq.level(kLine));
    uint64_t v = 0;
    CHECK(as.read(kBase + HC::kMagic, 8, v) == MemTx::AccessError);  // 4-byte registers
}

TEST_CASE_METHOD(ControllerFixture, "Empty slots report their fixed base and interrupt: virtio 0-7, research 8-23",
                 "[devices][hotplug]")
{
    CHECK(read(slot_reg(0, HC::kBaseLo)) == 0x1000'1000);
    CHECK(read(slot_reg(0, HC::kIrq)) == 1);
    CHECK(read(slot_reg(7, HC::kBaseLo)) == 0x1000'8000);
    CHECK(read(slot_reg(7, HC::kIrq)) == 8);
    CHECK(read(slot_reg(8, HC::kBaseLo)) == 0x1100'0000);
    CHECK(read(slot_reg(23, HC::kBaseLo)) == 0x1100'f000);
    CHECK(read(slot_reg(23, HC::kBaseHi)) == 0);
    CHECK(read(slot_reg(8, HC::kIrq)) == 0);
    for (unsigned s : {0u, 8u, 23u}) {
        CHECK(read(slot_reg(s, HC::kStatus)) == 0);
        CHECK(read(slot_reg(s, HC::kType)) == 0);
        CHECK(read(slot_reg(s, HC::kSize)) == 0);
    }
    CHECK_THROWS_AS(HC::slot_base(24), std::out_of_range);
    CHECK_THROWS_AS(hc->slot_inserted(24, HC::SlotType::MmioScratch, 0x1000, true), std::out_of_range);
}

TEST_CASE_METHOD(ControllerFixture, "A hot-plugged device raises an event and the interrupt until the guest clears it",
                 "[devices][hotplug]")
{
    hc->slot_inserted(9, HC::SlotType::MmioScratch, 0x1000, true);
    CHECK(read(slot_reg(9, HC::kStatus)) == HC::kPresent);
    CHECK(read(slot_reg(9, HC::kType)) == uint32_t(HC::SlotType::MmioScratch));
    CHECK(read(slot_reg(9, HC::kSize)) == 0x1000);
    CHECK(read(kBase + HC::kEventStatus) == 1u << 9);
    CHECK(irq.level(kLine));

    hc->slot_inserted(10, HC::SlotType::MmioScratch, 0x1000, true);
    write(kBase + HC::kEventStatus, 1u << 9);  // write 1 to clear: only bit 9
    CHECK(read(kBase + HC::kEventStatus) == 1u << 10);
    CHECK(irq.level(kLine));
    write(kBase + HC::kEventStatus, 0);        // writing 0s clears nothing
    CHECK(read(kBase + HC::kEventStatus) == 1u << 10);
    write(kBase + HC::kEventStatus, ~0u);
    CHECK(read(kBase + HC::kEventStatus) == 0);
    CHECK_FALSE(irq.level(kLine));
}

TEST_CASE_METHOD(ControllerFixture, "A cold-plugged device is present without an event", "[devices][hotplug]")
{
    hc->slot_inserted(8, HC::SlotType::MmioScratch, 0x1000, false);
    CHECK(read(slot_reg(8, HC::kStatus)) == HC::kPresent);
    CHECK(read(kBase + HC::kEventStatus) == 0);
    CHECK_FALSE(irq.level(kLine));
}

TEST_CASE_METHOD(ControllerFixture, "An eject request is shown to the guest and the guest's EJECT reaches the handler",
                 "[devices][hotplug]")
{
    std::vector<unsigned> ejected;
    hc->set_eject_handler([&](unsigned slot) { ejected.push_back(slot); });
    hc->slot_inserted(12, HC::SlotType::MmioScratch, 0x1000, false);

    write(slot_reg(12, HC::kCommand), HC::kCommandEject);  // no request yet: ignored, logged
    CHECK(ejected.empty());
    CHECK(hc->guest_errors() == 1);

    hc->request_eject(12);
    CHECK(read(slot_reg(12, HC::kStatus)) == (HC::kPresent | HC::kEjectRequest));
    CHECK(read(kBase + HC::kEventStatus) == 1u << 12);
    CHECK(irq.level(kLine));
    write(slot_reg(12, HC::kCommand), 2);  // unknown command
    CHECK(ejected.empty());
    write(slot_reg(12, HC::kCommand), HC::kCommandEject);
    CHECK(ejected == std::vector<unsigned>{12});

    hc->slot_removed(12);
    CHECK(read(slot_reg(12, HC::kStatus)) == 0);
    CHECK(read(slot_reg(12, HC::kType)) == 0);
    write(slot_reg(12, HC::kCommand), HC::kCommandEject);  // the slot is empty now: ignored
    CHECK(ejected.size() == 1);
}

TEST_CASE_METHOD(ControllerFixture, "Removal raises an event and reset clears events but keeps the slots",
                 "[devices][hotplug]")
{
    hc->slot_inserted(8, HC::SlotType::MmioScratch, 0x1000, false);
    hc->slot_inserted(9, HC::SlotType::MmioScratch, 0x1000, false);
    hc->slot_removed(9);
    CHECK(read(kBase + HC::kEventStatus) == 1u << 9);
    CHECK(irq.level(kLine));
    hc->reset();
    CHECK(read(kBase + HC::kEventStatus) == 0);
    CHECK_FALSE(irq.level(kLine));
    CHECK(read(slot_reg(8, HC::kStatus)) == HC::kPresent);
}

TEST_CASE_METHOD(ControllerFixture, "Writes to read-only and reserved controller registers are ignored and logged",
                 "[devices][hotplug]")
{
    write(kBase + HC::kMagic, 0);
    write(slot_reg(3, HC::kStatus), HC::kPresent);
    CHECK(read(kBase + HC::kMagic) == HC::kMagicValue);
    CHECK(read(slot_reg(3, HC::kStatus)) == 0);
    CHECK(read(kBase + 0xff0) == 0);
    CHECK(hc->guest_errors() == 3);
}
