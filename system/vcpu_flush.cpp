#include "system/vcpu_flush.h"

#include <atomic>

#include "locking/rcu.h"

namespace locklab {

void flush_all_harts(const std::vector<std::unique_ptr<rv::Hart>>& harts, std::function<void()> done)
{
    if (harts.empty()) {
        done();
        return;
    }
    struct Pending {
        std::atomic<size_t> left;     // atomic: harts that have not flushed yet
        std::function<void()> done;   // immutable; called by whichever hart brings `left` to 0
    };
    auto pending = std::make_shared<Pending>(harts.size(), std::move(done));
    for (const auto& h : harts) {
        rv::Hart* hart = h.get();
        hart->run_on_cpu([hart, pending] {
            hart->tlb_flush();
            hart->code_flush();
            if (pending->left.fetch_sub(1, std::memory_order_acq_rel) == 1) pending->done();
        });
    }
}

HartReaderKick::HartReaderKick(const std::vector<std::unique_ptr<rv::Hart>>& harts)
{
    std::vector<rv::Hart*> kicked;
    for (const auto& h : harts) kicked.push_back(h.get());
    id_ = rcu_add_reader_kick([kicked = std::move(kicked)] {
        for (rv::Hart* h : kicked) h->kick();
    });
}

HartReaderKick::~HartReaderKick() { rcu_remove_reader_kick(id_); }

}  // namespace locklab
