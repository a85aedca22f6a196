// Lock-order validator (Linux lockdep's idea, for lock classes): every acquisition while other
// classes are held adds the edges held -> acquired to a global graph; an edge that closes a cycle
// means two code paths take the same classes in opposite orders, which can deadlock even if this
// run was lucky. The first time each such edge appears, both orders are reported with their call
// sites. Nesting locks of one class adds no edge; trylocks add none (they cannot block).
#pragma once

#include <source_location>
#include <string>
#include <vector>

namespace locklab {

enum class LockdepMode {
    Off,
    Warn,   // report each cycle on stderr and keep running
    Abort,  // report the first cycle on stderr, then abort
};

void lockdep_enable(LockdepMode mode);
LockdepMode lockdep_mode();

// One order seen: `to` acquired (at to_site) while `from` was held (taken at from_site).
struct LockdepEdge {
    std::string from;
    std::string to;
    std::source_location from_site;
    std::source_location to_site;
    std::string thread;  // the thread that first took the locks in this order
};

struct LockdepReport {
    LockdepEdge new_order;                // the edge that closed the cycle
    std::vector<LockdepEdge> opposite;    // the path already known from new_order.to to new_order.from
    std::string text;                     // what was printed
};

// Every cycle reported so far, oldest first.
std::vector<LockdepReport> lockdep_reports();
// How many distinct orders (edges) are known.
size_t lockdep_edge_count();
// Forgets the graph and the reports (tests; threads' held sets are kept).
void lockdep_reset();

}  // namespace locklab
