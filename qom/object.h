// Object: the root of locklab's object model (a small QOM). Reference counted, with a type name
// and an instance id. Devices, backends and IOThreads are Objects.
#pragma once

#include <atomic>
#include <cassert>
#include <string>
#include <utility>

namespace locklab {

class Object {
public:
    Object() = default;
    Object(const Object&) = delete;
    Object& operator=(const Object&) = delete;

    virtual const char* type_name() const = 0;

    const std::string& id() const { return id_; }
    void set_id(std::string id) { id_ = std::move(id); }  // before the object is shared

    void ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
    // Increment unless the count already reached zero (the object is being freed).
    bool try_ref()
    {
        int n = refs_.load(std::memory_order_relaxed);
        while (n > 0)
            if (refs_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) return true;
        return false;
    }
    void unref()
    {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    int ref_count() const { return refs_.load(std::memory_order_relaxed); }

protected:
    virtual ~Object() = default;  // only unref() deletes

private:
    std::atomic<int> refs_{1};  // atomic: the creator holds the first reference
    std::string id_;            // set before the object is shared, read-only afterwards
};

// Owning pointer to an Object (intrusive reference).
template <class T>
class Ref {
public:
    Ref() = default;
    // Adopt a reference the caller already owns (e.g. the one `new` created).
    static Ref adopt(T* p) { Ref r; r.p_ = p; return r; }
    // Take a new reference.
    explicit Ref(T* p) : p_(p) { if (p_) p_->ref(); }
    Ref(const Ref& o) : p_(o.p_) { if (p_) p_->ref(); }
    Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    template <class U>
    Ref(Ref<U>&& o) noexcept : p_(o.release()) {}
    Ref& operator=(Ref o) noexcept { std::swap(p_, o.p_); return *this; }
    ~Ref() { if (p_) p_->unref(); }

    T* get() const { return p_; }
    T* operator->() const { return p_; }
    T& operator*() const { return *p_; }
    explicit operator bool() const { return p_ != nullptr; }
    T* release() { return std::exchange(p_, nullptr); }

private:
    T* p_ = nullptr;
};

template <class T, class... Args>
Ref<T> make_object(Args&&... args)
{
    return Ref<T>::adopt(new T(std::forward<Args>(args)...));
}

}  // namespace locklab
