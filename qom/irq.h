// Interrupt lines (QEMU's qemu_irq): a device drives a line; whatever sits at the other end (the
// PLIC, a hart's mip bit) implements IrqSink. Lines may be driven from any thread: sinks must be
// thread-safe.
#pragma once

namespace locklab {

class IrqSink {
public:
    virtual void set_irq(unsigned line, bool level) = 0;

protected:
    ~IrqSink() = default;
};

class IrqLine {
public:
    IrqLine() = default;
    IrqLine(IrqSink* sink, unsigned line) : sink_(sink), line_(line) {}
    void set(bool level) const { if (sink_) sink_->set_irq(line_, level); }
    void raise() const { set(true); }
    void lower() const { set(false); }
    bool connected() const { return sink_ != nullptr; }

private:
    IrqSink* sink_ = nullptr;  // wired before the machine starts, immutable afterwards
    unsigned line_ = 0;
};

}  // namespace locklab
