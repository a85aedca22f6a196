// AioContext change notifiers (QEMU's blk_add_aio_context_notifier): the users of something that
// lives in an AioContext (a device's frontend, a backend's completion handler) register a pair of
// callbacks; when it moves to another context they are told to detach from the old one and attach
// to the new one (move fd handlers, timers, BHs). Thread-safe; callbacks run without the list's
// lock, so they may add or remove notifiers.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "loop/aio_context.h"

namespace locklab {

class AioContextNotifiers {
public:
    using Callback = std::function<void(AioContext&)>;
    using Id = uint64_t;

    Id add(Callback attached, Callback detach);
    void remove(Id id);  // unknown ids are ignored

    void notify_detach(AioContext& old_ctx);    // in registration order
    void notify_attached(AioContext& new_ctx);  // in registration order

private:
    struct Entry {
        Id id;
        Callback attached;
        Callback detach;
    };
    std::vector<Entry> snapshot() const;

    mutable std::mutex m_;
    std::vector<Entry> entries_;  // protected by m_
    Id next_id_ = 1;              // protected by m_
};

}  // namespace locklab
