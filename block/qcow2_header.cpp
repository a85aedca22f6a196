#include "block/qcow2_header.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "block/qcow2_format.h"

namespace locklab {

using namespace qcow2;

namespace {

class HeaderReader {
public:
    HeaderReader(const HostFile& f, uint64_t file_size) : f_(f), file_size_(file_size) {}

    [[noreturn]] void fail(const std::string& field, uint64_t offset, const std::string& what) const
    {
        throw BlockError("qcow2 image '" + f_.path() + "': " + field + " (header offset " + std::to_string(offset) +
                         "): " + what);
    }
    [[noreturn]] void refuse(const std::string& feature) const
    {
        throw BlockError("qcow2 image '" + f_.path() + "' uses " + feature + ", which locklab does not support");
    }
    // A cluster-aligned region [offset, offset + bytes) that must lie inside the file.
    void check_region(const char* field, uint64_t field_at, uint64_t offset, uint64_t bytes, uint64_t cluster) const
    {
        if (offset == 0 || offset % cluster != 0)
            fail(field, field_at, "offset " + std::to_string(offset) + " is not a nonzero multiple of the cluster size");
        if (offset > file_size_ || bytes > file_size_ - offset)
            fail(field, field_at, "region at " + std::to_string(offset) + " (+" + std::to_string(bytes) +
                                      " bytes) lies beyond the end of the file (" + std::to_string(file_size_) + " bytes)");
    }
    std::vector<uint8_t> read(uint64_t offset, uint64_t len) const
    {
        std::vector<uint8_t> buf(len);
        if (const int ret = f_.pread(offset, buf.data(), len); ret < 0)
            throw BlockError("qcow2 image '" + f_.path() + "': cannot read the header: " + std::strerror(-ret));
        return buf;
    }
    uint64_t file_size() const { return file_size_; }

private:
    const HostFile& f_;
    const uint64_t file_size_;
};

std::string feature_name(const std::vector<uint8_t>& table, unsigned bit)
{
    for (size_t at = 0; at + 48 <= table.size(); at += 48) {
        if (table[at] != 0 || table[at + 1] != bit) continue;  // type 0: incompatible
        const char* name = reinterpret_cast<const char*>(&table[at + 2]);
        return std::string(name, strnlen(name, 46));
    }
    return "unknown";
}

void parse_extensions(const HeaderReader& r, const std::vector<uint8_t>& c0, Qcow2Header& h,
                      std::vector<uint8_t>& feature_table)
{
    // Extensions run from the end of the header to the end marker, and never past the backing file
    // name, which sits after them (specification, "Header extensions").
    const uint64_t end = h.backing_file_offset ? h.backing_file_offset : c0.size();
    uint64_t at = h.header_length;
    for (;;) {
        if (at + 8 > end) {
            if (h.backing_file_offset) r.fail("header extension", at, "the extension area runs into the backing file name");
            r.fail("header extension", at, "no end marker inside the first cluster");
        }
        const uint32_t type = load_be32(&c0[at]);
        const uint32_t len = load_be32(&c0[at + 4]);
        if (type == kExtEnd) return;
        const uint64_t data = at + 8;
        if (len > end - data) r.fail("header extension", at, "length " + std::to_string(len) + " runs past the extension area");
        if (type == kExtBackingFormat) {
            h.backing_format.assign(reinterpret_cast<const char*>(&c0[data]), len);
        } else if (type == kExtFeatureTable) {
            feature_table.assign(c0.begin() + static_cast<long>(data), c0.begin() + static_cast<long>(data + len));
        } else if (type == kExtDataFile) {
            r.refuse("an external data file (header extension 0x44415441)");
        }
        at = data + ((uint64_t{len} + 7) & ~uint64_t{7});
    }
}

void check_features(const HeaderReader& r, const Qcow2Header& h, const std::vector<uint8_t>& feature_table)
{
    const uint64_t f = h.incompatible_features;
    if (f & kIncompatCorrupt) r.refuse("the corrupt bit (incompatible feature bit 1; run 'qemu-img check -r all')");
    if (f & kIncompatDirty)
        r.refuse("the dirty bit (incompatible feature bit 0: lazy refcounts not flushed; run 'qemu-img check -r all')");
    if (f & kIncompatDataFile) r.refuse("an external data file (incompatible feature bit 2)");
    if (f & kIncompatCompression) r.refuse("compression type " + std::to_string(h.compression_type) + " (zstd; only zlib is supported)");
    if (f & kIncompatExtendedL2) r.refuse("extended L2 entries (incompatible feature bit 4)");
    const uint64_t known = kIncompatDirty | kIncompatCorrupt | kIncompatDataFile | kIncompatCompression | kIncompatExtendedL2;
    for (unsigned bit = 0; bit < 64; ++bit)
        if ((f & ~known) & (uint64_t{1} << bit))
            r.refuse("incompatible feature bit " + std::to_string(bit) + " (" + feature_name(feature_table, bit) + ")");
    if (h.compression_type != 0)
        r.fail("compression_type", 104, "value " + std::to_string(h.compression_type) + " without the compression-type feature bit");
}

}  // namespace

Qcow2Header read_qcow2_header(const HostFile& file, uint64_t file_size)
{
    const HeaderReader r(file, file_size);
    if (file_size < kHeaderV2Length)
        r.fail("header", 0, "truncated: the file has " + std::to_string(file_size) + " bytes, a header needs 72");
    const std::vector<uint8_t> base = r.read(0, kHeaderV2Length);
    if (load_be32(&base[0]) != kMagic) r.fail("magic", 0, "not a qcow2 image");

    Qcow2Header h;
    h.version = load_be32(&base[4]);
    h.backing_file_offset = load_be64(&base[8]);
    h.backing_file_size = load_be32(&base[16]);
    h.cluster_bits = load_be32(&base[20]);
    h.size = load_be64(&base[24]);
    h.crypt_method = load_be32(&base[32]);
    h.l1_size = load_be32(&base[36]);
    h.l1_table_offset = load_be64(&base[40]);
    h.refcount_table_offset = load_be64(&base[48]);
    h.refcount_table_clusters = load_be32(&base[56]);
    h.nb_snapshots = load_be32(&base[60]);
    h.snapshots_offset = load_be64(&base[64]);

    if (h.version != 2 && h.version != 3) r.fail("version", 4, "version " + std::to_string(h.version) + " (2 or 3 expected)");
    if (h.cluster_bits < kMinClusterBits || h.cluster_bits > kMaxClusterBits)
        r.fail("cluster_bits", 20, "value " + std::to_string(h.cluster_bits) + " outside 9..21");
    const uint64_t cs = h.cluster_size();

    h.header_length = kHeaderV2Length;
    if (h.version == 3) {
        if (file_size < kHeaderV3Length)
            r.fail("header", 0, "truncated: the file has " + std::to_string(file_size) + " bytes, a version 3 header needs 104");
        const std::vector<uint8_t> v3 = r.read(kHeaderV2Length, kHeaderV3Length - kHeaderV2Length);
        h.incompatible_features = load_be64(&v3[0]);
        h.compatible_features = load_be64(&v3[8]);
        h.autoclear_features = load_be64(&v3[16]);
        h.refcount_order = load_be32(&v3[24]);
        h.header_length = load_be32(&v3[28]);
        if (h.header_length < kHeaderV3Length || h.header_length % 8 != 0 || h.header_length > cs)
            r.fail("header_length", 100, "value " + std::to_string(h.header_length) +
                                             " (a multiple of 8, at least 104, at most the cluster size)");
        if (h.refcount_order > kMaxRefcountOrder)
            r.fail("refcount_order", 96, "value " + std::to_string(h.refcount_order) + " (at most 6)");
    }
    const std::vector<uint8_t> c0 = r.read(0, cs);
    if (h.header_length > kHeaderV3Length) h.compression_type = c0[kHeaderV3Length];

    std::vector<uint8_t> feature_table;
    if (h.backing_file_offset != 0) {
        if (h.backing_file_size == 0 || h.backing_file_size > kMaxBackingNameSize)
            r.fail("backing_file_size", 16, "value " + std::to_string(h.backing_file_size) + " (1..1023 with a backing file)");
        if (h.backing_file_offset < h.header_length || h.backing_file_offset > cs ||
            h.backing_file_size > cs - h.backing_file_offset)
            r.fail("backing_file_offset", 8, "the name at " + std::to_string(h.backing_file_offset) +
                                                 " is not inside the first cluster after the header");
    }
    parse_extensions(r, c0, h, feature_table);
    if (h.backing_file_offset != 0)
        h.backing_file.assign(reinterpret_cast<const char*>(&c0[h.backing_file_offset]), h.backing_file_size);
    if (h.backing_file.find('\0') != std::string::npos) r.fail("backing file name", h.backing_file_offset, "contains a NUL byte");

    if (h.version == 3) check_features(r, h, feature_table);
    if (h.crypt_method != 0)
        r.refuse("encryption (crypt_method " + std::to_string(h.crypt_method) + (h.crypt_method == 1 ? ": AES)" : ": LUKS)"));

    // The L1 table must map the whole disk (we never grow it).
    if (h.size > (uint64_t{1} << 62)) r.fail("size", 24, "virtual size " + std::to_string(h.size) + " is not sane");
    const uint64_t bytes_per_l2 = cs * h.l2_entries();
    const uint64_t l1_needed = (h.size + bytes_per_l2 - 1) / bytes_per_l2;
    if (uint64_t{h.l1_size} * 8 > kMaxL1Bytes) r.fail("l1_size", 36, "value " + std::to_string(h.l1_size) + " exceeds 32 MiB of L1");
    if (h.l1_size < l1_needed)
        r.fail("l1_size", 36, "value " + std::to_string(h.l1_size) + " does not map the virtual size (needs " +
                                  std::to_string(l1_needed) + ")");
    if (h.l1_size > 0) r.check_region("l1_table_offset", 40, h.l1_table_offset, uint64_t{h.l1_size} * 8, cs);

    if (h.refcount_table_clusters == 0 || uint64_t{h.refcount_table_clusters} * cs > kMaxRefcountTableBytes)
        r.fail("refcount_table_clusters", 56, "value " + std::to_string(h.refcount_table_clusters) + " (1 up to 8 MiB of table)");
    r.check_region("refcount_table_offset", 48, h.refcount_table_offset, uint64_t{h.refcount_table_clusters} * cs, cs);
    if (h.nb_snapshots != 0) r.check_region("snapshots_offset", 64, h.snapshots_offset, 1, cs);
    return h;
}

}  // namespace locklab
