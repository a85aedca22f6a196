// Qcow2Driver. Crash consistency (the process may be SIGKILLed between any two pwrite calls; every
// metadata change is written through before the next step, see Qcow2TableCache):
//
//   allocating a cluster     1. its refcount goes 0 -> 1 in the file (a missing refcount block is
//                               first written whole, then the refcount-table entry pointing at it);
//   a new L2 table           2. the table (all zero) is written, 3. then the L1 entry pointing at it;
//   a new data cluster       4. the full cluster (old contents merged with the write) is written,
//                            5. then the L2 entry pointing at it (with COPIED);
//   replacing a cluster      6. only after the new L2 entry is in the file is the old cluster's
//                               refcount decremented (compressed data, a shared cluster).
//
// So no table ever points at a cluster whose refcount or contents are not yet in the file: a kill
// between steps leaves at worst a cluster with a refcount and no reference (a leak, which
// `qemu-img check` reports and `-r leaks` repairs), never a corruption. Growing the refcount table
// has its own order (Qcow2Refcounts::grow_table). The header is written in two places only: the
// refcount table's location when it grows, and at a read-write open the autoclear bits, cleared as
// the specification asks of a writer that does not maintain what they describe; its extensions
// and the backing file name are never rewritten. The L1 table never grows (the disk is never
// resized). flush() is fdatasync: the metadata is already in the file.
#include "block/qcow2.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "block/io_vector.h"
#include "block/qcow2_compressed.h"
#include "block/qcow2_format.h"

namespace locklab {

using namespace qcow2;

namespace {

uint64_t file_size_of(const HostFile& f)
{
    const int64_t n = f.size();
    if (n < 0) throw BlockError("cannot get the size of '" + f.path() + "': " + std::strerror(static_cast<int>(-n)));
    return static_cast<uint64_t>(n);
}

// L2 tables kept in memory: about 8 MiB of them (at 64 KiB clusters they map 64 GiB).
size_t l2_cache_tables(uint64_t cluster_size) { return std::max<size_t>(8, (8u << 20) / cluster_size); }

// Walks [offset, offset + total) from cluster to cluster: fn(pos, n, done) gets the piece
// [pos, pos + n) up to the end of pos's cluster (`done`: bytes before it) and returns how many
// bytes it handled (n, or more when it merged following clusters) or a negative errno, which
// ends the walk.
template <class Fn>
int for_each_cluster_piece(uint64_t offset, uint64_t total, uint64_t cluster_size, Fn&& fn)
{
    for (uint64_t done = 0; done < total;) {
        const uint64_t pos = offset + done, n = std::min(cluster_size - (pos & (cluster_size - 1)), total - done);
        const int64_t handled = fn(pos, n, done);
        if (handled < 0) return static_cast<int>(handled);
        done += static_cast<uint64_t>(handled);
    }
    return 0;
}

}  // namespace

struct Qcow2Driver::Mapping {
    enum Kind { Unallocated, Zero, Normal, Compressed } kind = Unallocated;
    uint64_t host = 0;         // Normal, Zero (preallocated; 0 if none): cluster offset; Compressed: data offset
    uint64_t compressed_bytes = 0;  // Compressed: bytes from `host` that hold the stream
    uint64_t sectors_start = 0;     // Compressed: the 512-byte sectors it occupies (for refcounts)
    uint64_t sectors_bytes = 0;
    bool copied = false;       // COPIED: refcount exactly one, may be written in place
};

Qcow2Driver::Qcow2Driver(std::unique_ptr<HostFile> file, const BackingOpener& open_backing)
    : file_(std::move(file)), header_(read_qcow2_header(*file_, file_size_of(*file_))),
      backing_(header_.backing_file.empty() ? nullptr : open_backing(header_.backing_file, header_.backing_format)),
      l2_cache_(*file_, header_.cluster_size(), l2_cache_tables(header_.cluster_size()))
{
    const uint64_t size = file_size_of(*file_);
    const uint64_t cs = header_.cluster_size();
    if (!read_only() && header_.nb_snapshots != 0)
        throw BlockError("qcow2 image '" + file_->path() + "' has " + std::to_string(header_.nb_snapshots) +
                         " internal snapshots: locklab can open it read-only only");

    std::vector<uint8_t> raw(uint64_t{header_.l1_size} * 8);
    if (const int ret = file_->pread(header_.l1_table_offset, raw.data(), raw.size()); ret < 0)
        throw BlockError("qcow2 image '" + file_->path() + "': cannot read the L1 table: " + std::strerror(-ret));
    l1_.resize(header_.l1_size);
    for (uint64_t i = 0; i < l1_.size(); ++i) {
        const uint64_t e = load_be64(&raw[i * 8]);
        const uint64_t l2 = e & kOffsetMask;
        auto bad = [&](const std::string& what) {
            throw BlockError("qcow2 image '" + file_->path() + "': L1 entry " + std::to_string(i) + " (file offset " +
                             std::to_string(header_.l1_table_offset + i * 8) + "): " + what);
        };
        if (e & kL1Reserved) bad("reserved bits set");
        if (l2 % cs != 0) bad("L2 table offset " + std::to_string(l2) + " is not cluster-aligned");
        if (l2 != 0 && (l2 > size || cs > size - l2)) bad("L2 table at " + std::to_string(l2) + " lies beyond the end of the file");
        l1_[i] = e;
    }

    refcounts_ = std::make_unique<Qcow2Refcounts>(*file_, header_, size);
    refcounts_->protect(header_.l1_table_offset, raw.size());

    if (!read_only() && header_.autoclear_features != 0) {
        uint8_t zero[8] = {};
        if (const int ret = file_->pwrite(kQcow2AutoclearOffset, zero, 8); ret < 0)
            throw BlockError("qcow2 image '" + file_->path() + "': cannot clear the autoclear features: " + std::strerror(-ret));
    }
}

Qcow2Driver::~Qcow2Driver() = default;

int Qcow2Driver::corrupt(const std::string& what) const
{
    std::fprintf(stderr, "locklab: qcow2 '%s' is corrupt: %s\n", file_->path().c_str(), what.c_str());
    return -EIO;
}

int Qcow2Driver::lookup(uint64_t guest_cluster, Mapping& m, bool nowait)
{
    m = Mapping{};
    const uint64_t l1i = guest_cluster / header_.l2_entries(), l2i = guest_cluster % header_.l2_entries();
    const uint64_t l2_offset = l1_[l1i] & kOffsetMask;
    if (l2_offset == 0) return 0;
    Qcow2TableCache::Table l2;
    if (nowait) {
        if (!l2_cache_.find(l2_offset, l2)) return -EAGAIN;
    } else if (const int ret = l2_cache_.get(l2_offset, l2); ret < 0) {
        return ret;
    }
    const uint64_t e = load_be64(l2->data() + l2i * 8);
    const uint64_t cs = header_.cluster_size();
    if (e & kFlagCompressed) {
        const uint32_t x = 62 - (header_.cluster_bits - 8);
        if (e & kFlagCopied) return corrupt("compressed L2 entry " + std::to_string(l2i) + " of the table at " +
                                            std::to_string(l2_offset) + " has COPIED set");
        m.kind = Mapping::Compressed;
        m.host = e & ((uint64_t{1} << x) - 1);
        const uint64_t sectors = ((e & ~kFlagCompressed) >> x) + 1;
        m.sectors_start = m.host & ~uint64_t{511};
        m.sectors_bytes = sectors * 512;
        m.compressed_bytes = m.sectors_bytes - (m.host & 511);
        return 0;
    }
    if (e & kL2Reserved)
        return corrupt("L2 entry " + std::to_string(l2i) + " of the table at " + std::to_string(l2_offset) + " has reserved bits set");
    m.host = e & kOffsetMask;
    m.copied = (e & kFlagCopied) != 0;
    if (m.host % cs != 0)
        return corrupt("L2 entry " + std::to_string(l2i) + " of the table at " + std::to_string(l2_offset) +
                       ": data offset " + std::to_string(m.host) + " is not cluster-aligned");
    if (header_.version >= 3 && (e & kFlagZero))
        m.kind = Mapping::Zero;
    else if (m.host != 0)
        m.kind = Mapping::Normal;
    return 0;
}

int Qcow2Driver::read_backing(uint64_t pos, const IoVector& part, bool nowait)
{
    const uint64_t n = iov_size(part);
    const uint64_t have = backing_ && pos < backing_->length() ? std::min(n, backing_->length() - pos) : 0;
    if (have > 0) {
        const IoVector from_backing = iov_slice(part, 0, have);
        const int ret = nowait ? backing_->try_read_nowait(pos, from_backing) : backing_->read(pos, from_backing);
        if (ret < 0) return ret;
    }
    if (have < n) iov_fill_zero(iov_slice(part, have, n - have));
    return 0;
}

int Qcow2Driver::read_compressed(const Mapping& m, std::vector<uint8_t>& cluster)
{
    const uint64_t cs = header_.cluster_size();
    std::vector<uint8_t> stream(m.compressed_bytes);
    if (const int ret = file_->pread(m.host, stream.data(), stream.size()); ret < 0) return ret;
    cluster.resize(cs);
    if (inflate_cluster(stream.data(), stream.size(), cluster.data(), cs) < 0)
        return corrupt("the compressed cluster at " + std::to_string(m.host) + " does not inflate to a cluster");
    return 0;
}

int Qcow2Driver::read_cluster_part(uint64_t pos, const Mapping& m, const IoVector& part, bool nowait)
{
    switch (m.kind) {
    case Mapping::Unallocated: return read_backing(pos, part, nowait);
    case Mapping::Zero: iov_fill_zero(part); return 0;
    case Mapping::Normal: {
        const uint64_t at = m.host + (pos & (header_.cluster_size() - 1));
        return nowait ? file_->preadv_nowait(at, part) : file_->preadv(at, part);
    }
    case Mapping::Compressed: break;
    }
    return -EIO;  // compressed clusters are read under meta_ (see read())
}

int Qcow2Driver::read(uint64_t offset, const IoVector& iov) { return read_clusters(offset, iov, false); }

int Qcow2Driver::try_read_nowait(uint64_t offset, const IoVector& iov) { return read_clusters(offset, iov, true); }

int Qcow2Driver::read_clusters(uint64_t offset, const IoVector& iov, bool nowait)
{
    const uint64_t total = iov_size(iov), cs = header_.cluster_size();
    if (!range_in_disk(offset, total, length())) return -EINVAL;
    return for_each_cluster_piece(offset, total, cs, [&](uint64_t pos, uint64_t n, uint64_t done) -> int64_t {
        Mapping m;
        std::unique_lock lk(meta_, std::defer_lock);
        if (!nowait)
            lk.lock();
        else if (!lk.try_lock())
            return -EAGAIN;  // a worker has it, maybe across metadata I/O
        if (const int ret = lookup(pos >> header_.cluster_bits, m, nowait); ret < 0) return ret;
        if (m.kind == Mapping::Normal) {
            const uint64_t run = contiguous_run(pos, n, total - done, m, false, nowait);
            lk.unlock();  // data clusters stay mapped where they are: no lock for the data I/O
            const int ret = read_cluster_part(pos, m, iov_slice(iov, done, run), nowait);
            return ret < 0 ? ret : static_cast<int64_t>(run);
        }
        const IoVector part = iov_slice(iov, done, n);
        if (m.kind == Mapping::Compressed) {
            if (nowait) return -EAGAIN;  // inflating is CPU work and a pread under meta_: the pool's
            // Under meta_: a concurrent overwrite frees the compressed sectors once it has remapped.
            std::vector<uint8_t> cluster;
            if (const int ret = read_compressed(m, cluster); ret < 0) return ret;
            iov_from_buffer(part, cluster.data() + (pos & (cs - 1)));
            return static_cast<int64_t>(n);
        }
        lk.unlock();
        const int ret = read_cluster_part(pos, m, part, nowait);
        return ret < 0 ? ret : static_cast<int64_t>(n);
    });
}

uint64_t Qcow2Driver::contiguous_run(uint64_t pos, uint64_t n, uint64_t remaining, const Mapping& first, bool writing,
                                     bool nowait)
{
    const uint64_t cs = header_.cluster_size();
    const uint64_t first_cluster_start = pos & ~(cs - 1);
    uint64_t run = n;
    while (run < remaining) {
        const uint64_t next_pos = pos + run;  // a cluster start
        Mapping next;
        if (lookup(next_pos >> header_.cluster_bits, next, nowait) < 0) break;  // the next piece reports it
        if (next.kind != Mapping::Normal || (writing && !next.copied) || next.host != first.host + (next_pos - first_cluster_start))
            break;
        run += std::min(cs, remaining - run);
    }
    return run;
}

int Qcow2Driver::ensure_l2(uint64_t l1_index, uint64_t& l2_offset)
{
    const uint64_t e = l1_[l1_index];
    l2_offset = e & kOffsetMask;
    if (l2_offset != 0) {
        if (!(e & kFlagCopied))
            return corrupt("L1 entry " + std::to_string(l1_index) + " lacks COPIED (a shared L2 table) in an image without snapshots");
        return 0;
    }
    uint64_t fresh = 0;
    if (const int ret = refcounts_->alloc_cluster(fresh); ret < 0) return ret;        // step 1
    Qcow2TableCache::Table table;
    if (const int ret = l2_cache_.create(fresh, {}, table); ret < 0) return ret;      // step 2
    uint8_t entry[8];
    store_be64(entry, fresh | kFlagCopied);
    if (const int ret = file_->pwrite(header_.l1_table_offset + l1_index * 8, entry, 8); ret < 0) return ret;  // step 3
    l1_[l1_index] = fresh | kFlagCopied;
    l2_offset = fresh;
    return 0;
}

int Qcow2Driver::set_l2_entry(uint64_t guest_cluster, uint64_t entry)
{
    uint64_t l2_offset = 0;
    if (const int ret = ensure_l2(guest_cluster / header_.l2_entries(), l2_offset); ret < 0) return ret;
    Qcow2TableCache::Table l2;
    if (const int ret = l2_cache_.get(l2_offset, l2); ret < 0) return ret;
    const uint64_t pos = (guest_cluster % header_.l2_entries()) * 8;
    store_be64(l2->data() + pos, entry);
    return l2_cache_.write_back(l2_offset, l2, pos, 8);
}

int Qcow2Driver::release_old(const Mapping& m)
{
    if (m.kind == Mapping::Compressed) return refcounts_->release(m.sectors_start, m.sectors_bytes);
    if ((m.kind == Mapping::Normal || m.kind == Mapping::Zero) && m.host != 0 && !m.copied)
        return refcounts_->release(m.host, header_.cluster_size());  // a shared cluster we copied
    return 0;
}

int Qcow2Driver::allocating_write(uint64_t pos, const IoVector& part, const Mapping& m)
{
    const uint64_t cs = header_.cluster_size(), in = pos & (cs - 1), n = iov_size(part);
    const uint64_t guest_cluster = pos >> header_.cluster_bits;
    uint64_t l2_offset = 0;
    if (const int ret = ensure_l2(guest_cluster / header_.l2_entries(), l2_offset); ret < 0) return ret;

    // The whole cluster as it will be: what the guest saw there, with this write merged in.
    std::vector<uint8_t> cluster(cs, 0);
    if (n < cs) {
        int ret = 0;
        if (m.kind == Mapping::Compressed)
            ret = read_compressed(m, cluster);
        else if (m.kind != Mapping::Zero)
            ret = read_cluster_part(pos - in, m, IoVector{std::span<uint8_t>(cluster)});
        if (ret < 0) return ret;
    }
    iov_to_buffer(part, cluster.data() + in);

    uint64_t host = 0;
    if (m.kind == Mapping::Zero && m.host != 0 && m.copied) {
        host = m.host;  // a preallocated zero cluster: ours alone, rewrite it in place
    } else if (const int ret = refcounts_->alloc_cluster(host); ret < 0) {  // step 1
        return ret;
    }
    if (const int ret = file_->pwrite(host, cluster.data(), cs); ret < 0) return ret;  // step 4
    if (const int ret = set_l2_entry(guest_cluster, host | kFlagCopied); ret < 0) return ret;  // step 5
    return release_old(m);  // step 6
}

int Qcow2Driver::write(uint64_t offset, const IoVector& iov)
{
    if (read_only()) return -EROFS;
    const uint64_t total = iov_size(iov), cs = header_.cluster_size();
    if (!range_in_disk(offset, total, length())) return -EINVAL;
    return for_each_cluster_piece(offset, total, cs, [&](uint64_t pos, uint64_t n, uint64_t done) -> int64_t {
        Mapping m;
        std::unique_lock lk(meta_);
        if (const int ret = lookup(pos >> header_.cluster_bits, m); ret < 0) return ret;
        if (!(m.kind == Mapping::Normal && m.copied)) {
            const int ret = allocating_write(pos, iov_slice(iov, done, n), m);
            return ret < 0 ? ret : static_cast<int64_t>(n);
        }
        const uint64_t run = contiguous_run(pos, n, total - done, m, true);
        lk.unlock();  // allocated and ours alone: write in place, in parallel with others
        const int ret = file_->pwritev(m.host + (pos & (cs - 1)), iov_slice(iov, done, run));
        return ret < 0 ? ret : static_cast<int64_t>(run);
    });
}

int Qcow2Driver::flush() { return file_->datasync(); }

int Qcow2Driver::zero_cluster(uint64_t guest_cluster)
{
    Mapping m;
    if (const int ret = lookup(guest_cluster, m); ret < 0) return ret;
    if (m.kind == Mapping::Zero || (m.kind == Mapping::Unallocated && !backing_)) return 0;  // reads as zero already
    // Keep a cluster that is ours alone allocated (preallocated zero cluster); drop the others.
    const bool keep = (m.kind == Mapping::Normal) && m.copied;
    if (const int ret = set_l2_entry(guest_cluster, keep ? (m.host | kFlagCopied | kFlagZero) : kFlagZero); ret < 0) return ret;
    return keep ? 0 : release_old(m);
}

int Qcow2Driver::write_zeroes(uint64_t offset, uint64_t bytes, bool /*may_unmap*/)
{
    if (read_only()) return -EROFS;
    if (!range_in_disk(offset, bytes, length())) return -EINVAL;
    const uint64_t cs = header_.cluster_size();
    return for_each_cluster_piece(offset, bytes, cs, [&](uint64_t pos, uint64_t n, uint64_t) -> int64_t {
        int ret = 0;
        if (header_.version >= 3 && n == cs) {
            std::lock_guard lk(meta_);
            ret = zero_cluster(pos >> header_.cluster_bits);
        } else {
            std::vector<uint8_t> zeroes(n, 0);
            ret = write(pos, IoVector{std::span<uint8_t>(zeroes)});
        }
        return ret < 0 ? ret : static_cast<int64_t>(n);
    });
}

int Qcow2Driver::discard(uint64_t offset, uint64_t bytes) { return write_zeroes(offset, bytes, true); }

}  // namespace locklab
