# Every third-party library Triad uses comes from Debian 12's packages
# (scripts/setup installs them); each is found here once and used by target.

find_package(CapnProto CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# Berkeley DB 5.3 ships no CMake or pkg-config files: find the C++ library.
find_path(BERKELEY_DB_INCLUDE_DIR db_cxx.h PATHS /usr/include/db5.3 /usr/include REQUIRED)
find_library(BERKELEY_DB_CXX_LIBRARY NAMES db_cxx-5.3 db_cxx REQUIRED)
add_library(BerkeleyDB::cxx UNKNOWN IMPORTED)
set_target_properties(BerkeleyDB::cxx PROPERTIES
  IMPORTED_LOCATION "${BERKELEY_DB_CXX_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${BERKELEY_DB_INCLUDE_DIR}")

if(TRIAD_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(TRIAD_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
