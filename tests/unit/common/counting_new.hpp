// Heap allocation counting for the no-allocation tests (STYLE habit 2). Linking sb_counting_new replaces
// the global operator new/delete of the whole executable, so each such test is an executable of its own.
#pragma once

#include <cstddef>

namespace sb::test {

// Global operator new calls since the program started.
std::size_t allocation_count();

}  // namespace sb::test
