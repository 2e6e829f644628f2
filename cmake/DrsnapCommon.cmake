# Shared compile settings and helpers for every drsnap target.

set(DRSNAP_WARNINGS -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wformat=2 -Wimplicit-fallthrough
    # g++ 12 reports false -Wrestrict positives for std::string concatenation
    # at -O2/-O3 (GCC bug 105329). -Wnull-dereference is left out for the same
    # reason: at -O2 it fires inside libstdc++'s streambuf.
    -Wno-restrict)

if(DRSNAP_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(DRSNAP_TSAN)
  if(DRSNAP_SANITIZE)
    message(FATAL_ERROR "DRSNAP_TSAN and DRSNAP_SANITIZE cannot be combined (one sanitizer runtime per build)")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

# drsnap_library(NAME name [SOURCES ...] DEPS ...): a static library of every
# *.cc directly in the calling folder, or of SOURCES (a folder that builds
# more than one library globs and splits its files itself). Files are globbed
# so that adding a file needs no edit here (several people work in one folder
# at once).
function(drsnap_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(ARG_SOURCES OR "SOURCES" IN_LIST ARG_KEYWORDS_MISSING_VALUES)
    set(srcs ${ARG_SOURCES})
  else()
    file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
    list(FILTER srcs EXCLUDE REGEX ".*_main\\.cc$")
  endif()
  if(srcs)
    add_library(${ARG_NAME} STATIC ${srcs})
    target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
    target_compile_options(${ARG_NAME} PRIVATE ${DRSNAP_WARNINGS})
    target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
  else()
    # Headers only so far.
    add_library(${ARG_NAME} INTERFACE)
    target_include_directories(${ARG_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${ARG_NAME} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# drsnap_tests(DEPS ...): one GoogleTest binary per tests/*_test.cc, named
# after the folder and file (aws_sigv4_test), registered with ctest.
function(drsnap_tests)
  if(NOT DRSNAP_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/*_test.cc)
  file(GLOB helpers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/*_util.cc)
  if(NOT DRSNAP_HAVE_MOTO)
    list(FILTER tests EXCLUDE REGEX ".*moto[^/]*_test\\.cc$")
  endif()
  # The folder's shared test helpers are compiled once, into one library.
  set(util_lib "")
  if(helpers)
    set(util_lib ${folder}_test_util)
    add_library(${util_lib} STATIC ${helpers})
    target_compile_options(${util_lib} PRIVATE ${DRSNAP_WARNINGS})
    target_compile_definitions(${util_lib} PUBLIC
      DRSNAP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      DRSNAP_BINARY_DIR="${PROJECT_BINARY_DIR}")
    target_link_libraries(${util_lib} PUBLIC ${ARG_DEPS} GTest::gtest GTest::gmock)
  endif()
  foreach(t ${tests})
    get_filename_component(base ${t} NAME_WE)
    set(name ${folder}_${base})
    add_executable(${name} ${t})
    target_compile_options(${name} PRIVATE ${DRSNAP_WARNINGS})
    target_compile_definitions(${name} PRIVATE
      DRSNAP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      DRSNAP_BINARY_DIR="${PROJECT_BINARY_DIR}")
    target_link_libraries(${name} PRIVATE ${util_lib} ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
      PROPERTIES LABELS ${folder}
      ENVIRONMENT "AWS_EC2_METADATA_DISABLED=true")
  endforeach()
endfunction()
