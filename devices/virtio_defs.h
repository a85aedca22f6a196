// Numbers from the virtio 1.x specification (and its legacy interface) that the transport, the
// virtqueues and the devices share: device status bits, transport feature bits, split-ring layout.
#pragma once

#include <cstdint>

namespace locklab::virtio {

// Device status (spec 2.1).
inline constexpr uint32_t kStatusAcknowledge = 1;
inline constexpr uint32_t kStatusDriver = 2;
inline constexpr uint32_t kStatusDriverOk = 4;
inline constexpr uint32_t kStatusFeaturesOk = 8;
inline constexpr uint32_t kStatusNeedsReset = 64;
inline constexpr uint32_t kStatusFailed = 128;

// Reserved (transport/ring) feature bits (spec 6).
inline constexpr unsigned kFRingIndirectDesc = 28;
inline constexpr unsigned kFRingEventIdx = 29;
inline constexpr unsigned kFVersion1 = 32;

inline constexpr uint64_t feature(unsigned bit) { return uint64_t(1) << bit; }

// Device ids (spec 5).
inline constexpr uint32_t kIdNone = 0;
inline constexpr uint32_t kIdBlock = 2;

// Interrupt status bits (virtio-mmio InterruptStatus).
inline constexpr uint32_t kIsrUsedBuffer = 1;
inline constexpr uint32_t kIsrConfigChange = 2;

// Split virtqueue layout (spec 2.7).
inline constexpr uint16_t kDescFNext = 1;
inline constexpr uint16_t kDescFWrite = 2;
inline constexpr uint16_t kDescFIndirect = 4;
inline constexpr uint16_t kAvailFNoInterrupt = 1;
inline constexpr uint64_t kDescSize = 16;     // struct virtq_desc
inline constexpr uint64_t kUsedElemSize = 8;  // struct virtq_used_elem
inline constexpr uint16_t kQueueMaxSize = 1024;  // QEMU's VIRTQUEUE_MAX_SIZE (QueueNumMax)

}  // namespace locklab::virtio
