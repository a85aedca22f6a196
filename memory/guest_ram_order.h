// How vCPUs and devices order their accesses to guest RAM, written so ThreadSanitizer sees it too.
//
// vCPUs access guest RAM with relaxed atomics (cpu/memory_access.h) and order them with FENCE,
// which is guest_ram_fence(): a seq_cst fence on the host. A device doing DMA pairs with it the
// way virtio's rings do:
//   guest -> device: the guest writes a buffer, fences, stores an index; the device loads the index
//                    with acquire (then guest_ram_acquire()) and reads the buffer;
//   device -> guest: the device writes a buffer, calls guest_ram_release() and stores an index with
//                    release; the guest loads the index, fences, and reads the buffer.
// In C++ that is fence-to-atomic synchronisation ([atomics.fences]), so the device may reach the
// buffers with plain accesses (memcpy, pread/pwrite straight into guest RAM) without a data race.
//
// ThreadSanitizer does not model fences, so in its builds a FENCE is a seq_cst read-modify-write of one
// process-wide word, guest_ram_acquire() an acquire load of it and
// guest_ram_release() a release read-modify-write of it (not a store, which would drop the clocks
// the vCPUs' fences left there). That is coarser than the real rule (the device acquires every
// FENCE made so far, not only those before the index it read): it can hide a race, never invent
// one. Outside TSan builds guest_ram_acquire() and guest_ram_release() cost nothing.
//
// Every FENCE counts, whatever sets it names (tests/cpu/test_fence_dma.cpp). A guest that goes from
// the index to the buffers with no FENCE at all is reported, and rightly: RVWMO does not order its
// buffer loads after the index load (U-Boot 2023.01's virtio driver, tests/guests/README.md). Its
// later stores to those buffers are reported too, although RVWMO orders them (by the control
// dependency on the index, which this model cannot express: the one place it is stricter than
// RVWMO); a driver with the read barrier it needs anyway is clean.
#pragma once

#include <atomic>
#include <cstdint>

namespace locklab {

#if defined(__SANITIZE_THREAD__)
// TSan builds only: stands for the order FENCE gives (see above). Atomic.
inline std::atomic<uint32_t> g_guest_ram_fences{0};
#endif

// A vCPU's FENCE: a full barrier between this thread's accesses to guest RAM.
// (GCC refuses atomic_thread_fence with -fsanitize=thread; a seq_cst read-modify-write is the same
// full barrier on x86-64.)
inline void guest_ram_fence()
{
#if defined(__SANITIZE_THREAD__)
    g_guest_ram_fences.fetch_add(1, std::memory_order_seq_cst);
#else
    std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

// A device, right after an acquire load of an index the guest published: the guest's writes made
// before its FENCE are visible to plain reads from here on.
inline void guest_ram_acquire()
{
#if defined(__SANITIZE_THREAD__)
    (void)g_guest_ram_fences.load(std::memory_order_acquire);
#endif
}

// A device, right before a release store of an index the guest reads: its earlier writes (plain
// ones included) are visible to the guest after its FENCE.
inline void guest_ram_release()
{
#if defined(__SANITIZE_THREAD__)
    g_guest_ram_fences.fetch_add(0, std::memory_order_release);
#endif
}

}  // namespace locklab
