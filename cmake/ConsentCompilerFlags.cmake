# ThreadSanitizer, beside CONSENT_SANITIZE (ASan + UBSan): the two runtimes
# cannot share a process, so a build has one or the other (scripts/build.sh tsan).
option(CONSENT_SANITIZE_THREAD "Build with ThreadSanitizer (the concurrency tests)" OFF)
if(CONSENT_SANITIZE AND CONSENT_SANITIZE_THREAD)
  message(FATAL_ERROR "CONSENT_SANITIZE (ASan) and CONSENT_SANITIZE_THREAD (TSan) cannot be combined")
endif()

# Flags live on targets (never at directory scope): call consent_target_defaults()
# on every target the project builds.

# The fuzz flavour (scripts/build.sh fuzz, clang++-14): every library carries
# libFuzzer's coverage instrumentation plus ASan and UBSan; only the fuzz
# targets themselves link libFuzzer's main (consent_fuzz_target below).
option(CONSENT_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only)" OFF)
function(consent_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_17)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  if(CONSENT_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(CONSENT_FUZZ)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  elseif(CONSENT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(CONSENT_SANITIZE_THREAD)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
  get_target_property(lean ${target} CONSENT_LEAN)
  if(EMSCRIPTEN AND NOT lean)
    # Debian's emcc 3.1.6 ignores C++ exceptions unless both sides opt in.
    target_compile_options(${target} PRIVATE -fexceptions)
    target_link_options(${target} PRIVATE -fexceptions)
  endif()
endfunction()

# A target built without C++ exceptions (the browser's module): the core never
# throws, and nlohmann runs exception-free, which makes the wasm smaller.
function(consent_make_lean target)
  set_target_properties(${target} PROPERTIES CONSENT_LEAN ON)
  target_compile_options(${target} PRIVATE -fno-exceptions -fno-rtti)
  target_compile_definitions(${target} PUBLIC JSON_NOEXCEPTION)
  target_compile_options(${target} PRIVATE -flto)
  target_link_options(${target} PRIVATE -flto)
endfunction()

# A libFuzzer target: the defaults above, then libFuzzer's own main.
function(consent_fuzz_target target)
  consent_target_defaults(${target})
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
endfunction()
