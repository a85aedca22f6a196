#include "loop/context_notifiers.h"

#include <algorithm>

namespace locklab {

AioContextNotifiers::Id AioContextNotifiers::add(Callback attached, Callback detach)
{
    std::lock_guard lk(m_);
    entries_.push_back({next_id_, std::move(attached), std::move(detach)});
    return next_id_++;
}

void AioContextNotifiers::remove(Id id)
{
    std::lock_guard lk(m_);
    std::erase_if(entries_, [id](const Entry& e) { return e.id == id; });
}

std::vector<AioContextNotifiers::Entry> AioContextNotifiers::snapshot() const
{
    std::lock_guard lk(m_);
    return entries_;
}

void AioContextNotifiers::notify_detach(AioContext& old_ctx)
{
    for (const Entry& e : snapshot())
        if (e.detach) e.detach(old_ctx);
}

void AioContextNotifiers::notify_attached(AioContext& new_ctx)
{
    for (const Entry& e : snapshot())
        if (e.attached) e.attached(new_ctx);
}

}  // namespace locklab
