#include "cpu/hart.h"

#include <algorithm>

#include "cpu/block_cache.h"
#include "cpu/privileged.h"
#include "cpu/tcg/engine.h"
#include "cpu/tlb.h"

namespace locklab::rv {

Hart::Hart(unsigned id, AddressSpace& address_space)
    : hartid(id), as(address_space), tlb(std::make_unique<Tlb>()), blocks(std::make_unique<BlockCache>())
{
    reset(0, 0);
}

Hart::~Hart() = default;

void Hart::reset(uint64_t entry, uint64_t fdt_addr)
{
    std::fill(std::begin(x), std::end(x), 0);
    x[10] = hartid;    // a0
    x[11] = fdt_addr;  // a1
    pc = next_pc = entry;
    priv = Priv::M;
    instret = 0;
    // Software-writable pending bits start clear; lines driven by devices keep their level.
    mip.fetch_and(~((uint64_t(1) << IRQ_SSI) | (uint64_t(1) << IRQ_STI)));
    wfi = false;
    resv_addr = ~uint64_t(0);
    resv_value = 0;
    trap_cause = trap_tval = 0;
    reset_csrs(*this);
    tlb_flush();
    code_flush();
    mmu_mode_changed();
}

void Hart::set_irq(unsigned line, bool level)
{
    const uint64_t bit = uint64_t(1) << line;
    if (!level) {
        mip.fetch_and(~bit);
        return;
    }
    if (mip.fetch_or(bit) & bit) return;  // already pending: the hart has been told
    kick();  // leave run() so the interrupt is taken; wakes WFI too
}

void Hart::kick()
{
    exit_request.store(true, std::memory_order_release);
    wake_seq.fetch_add(1, std::memory_order_release);
    wake_seq.notify_all();
}

void Hart::run_on_cpu(std::function<void()> fn)
{
    {
        std::lock_guard lk(work_mutex_);
        queued_work_.push_back(std::move(fn));
        work_pending_.store(true, std::memory_order_release);
    }
    kick();
}

void Hart::process_queued_work()
{
    if (!work_pending_.load(std::memory_order_acquire)) return;
    std::vector<std::function<void()>> work;
    {
        std::lock_guard lk(work_mutex_);
        work.swap(queued_work_);
        work_pending_.store(false, std::memory_order_relaxed);
    }
    for (auto& fn : work) fn();  // work queued by fn itself runs at the next call
}

void Hart::wait_for_interrupt()
{
    // No lost wake-up: set_irq()/kick() publish their condition before bumping wake_seq, so either
    // the check below sees it, or wait() sees wake_seq differ from `seq` and returns at once.
    for (;;) {
        const uint32_t seq = wake_seq.load(std::memory_order_acquire);
        if (wfi_wakeup_pending() || exit_request.load(std::memory_order_acquire)) break;
        wake_seq.wait(seq, std::memory_order_acquire);
    }
    wfi = false;
}

bool Hart::wfi_wakeup_pending() const
{
    return (mip.load(std::memory_order_acquire) & csr.mie) != 0;
}

void Hart::tlb_flush() { tlb->flush(); }

void Hart::code_flush()
{
    blocks->flush();
    if (jit) jit->request_flush();  // taken at the JIT loop's next block boundary
}

void Hart::mmu_mode_changed()
{
    tlb->select(effective_priv(*this, AccessType::Fetch), effective_priv(*this, AccessType::Load));
}

}  // namespace locklab::rv
