// Force-included into every translation unit of the fuzz build (see the IOTWINS_FUZZ block of
// the top-level CMakeLists.txt). libstdc++ 12 only declares std::expected when
// __cpp_concepts >= 202002L, the value that announces P0848 (conditionally trivial special
// members). Clang 16 implements P0848 but still reports 201907L (clang 19 raised it), so
// <expected> is empty under clang 16 even though clang 16 compiles it correctly. Raising the
// macro to what the compiler actually supports makes core/result.h usable in fuzz builds.
#pragma once

#if defined(__clang__) && __clang_major__ >= 16 && defined(__cpp_concepts) && __cpp_concepts < 202002L
#undef __cpp_concepts
#define __cpp_concepts 202002L
#endif
