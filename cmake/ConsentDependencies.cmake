# Third-party headers for both targets.
#
# Native: the Debian CMake packages. Emscripten: its toolchain file hides host
# packages, and /usr/include must never be on a wasm include path (glibc's
# headers would shadow Emscripten's libc), so only the nlohmann/ and catch2/
# header folders are staged into the build tree behind interface targets.
set(CONSENT_HOST_INCLUDE_DIR "/usr/include" CACHE PATH
    "Where the host's nlohmann/ and catch2/ header folders are (wasm build only)")
set(CONSENT_HOST_CATCH2_CMAKE_DIR "/usr/lib/cmake/Catch2" CACHE PATH
    "Where the host's Catch.cmake is (wasm build only)")

function(consent_staged_headers target folder)
  set(staged "${CMAKE_BINARY_DIR}/staged-include")
  if(NOT EXISTS "${CONSENT_HOST_INCLUDE_DIR}/${folder}")
    message(FATAL_ERROR "missing ${CONSENT_HOST_INCLUDE_DIR}/${folder}: install its Debian package")
  endif()
  file(COPY "${CONSENT_HOST_INCLUDE_DIR}/${folder}" DESTINATION "${staged}")
  add_library(${target} INTERFACE)
  target_include_directories(${target} SYSTEM INTERFACE "${staged}")
endfunction()

if(EMSCRIPTEN)
  # Emscripten.cmake sets node with --experimental-wasm-threads, which Node 20
  # refuses; the core's test executables need no threads, so run plain node.
  find_program(CONSENT_NODE node REQUIRED)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${CONSENT_NODE}")
  consent_staged_headers(consent_nlohmann nlohmann)
  add_library(nlohmann_json::nlohmann_json ALIAS consent_nlohmann)
  if(CONSENT_BUILD_TESTS)
    consent_staged_headers(consent_catch2 catch2)
    add_library(Catch2::Catch2 ALIAS consent_catch2)
    include("${CONSENT_HOST_CATCH2_CMAKE_DIR}/Catch.cmake")
  endif()
else()
  find_package(nlohmann_json 3.11 REQUIRED)
  if(CONSENT_BUILD_TESTS)
    find_package(Catch2 2.13 REQUIRED)
    include(Catch)
  endif()
endif()
