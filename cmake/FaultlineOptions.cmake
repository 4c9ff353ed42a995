# SPDX-License-Identifier: Apache-2.0
option(FAULTLINE_WERROR "Treat compiler warnings as errors" OFF)
option(FAULTLINE_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(FAULTLINE_BUILD_TESTS "Build the test suite" ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
	set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

add_compile_options(-Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
	-Wno-unused-parameter -Wno-missing-field-initializers -fno-strict-aliasing)
if(FAULTLINE_WERROR)
	add_compile_options(-Werror)
endif()
if(FAULTLINE_SANITIZE)
	add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
		-fno-omit-frame-pointer)
	add_link_options(-fsanitize=address,undefined)
	add_compile_definitions(FAULTLINE_SANITIZE=1)
endif()

# libFuzzer targets (tests/fuzz). Everything in the tree is instrumented for coverage
# and built with ASan and UBSan, so that the fuzzers link the real libraries; only
# clang has -fsanitize=fuzzer.
option(FAULTLINE_FUZZ "Build the libFuzzer targets in tests/fuzz (needs CMAKE_C_COMPILER=clang)" OFF)
if(FAULTLINE_FUZZ)
	if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
		message(FATAL_ERROR "FAULTLINE_FUZZ needs clang (libFuzzer), but the C compiler is "
			"${CMAKE_C_COMPILER_ID}: configure a new build directory with "
			"-DCMAKE_C_COMPILER=clang")
	endif()
	add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer)
	add_link_options(-fsanitize=address,undefined)
	add_compile_definitions(FAULTLINE_SANITIZE=1 FAULTLINE_FUZZ=1)
endif()
