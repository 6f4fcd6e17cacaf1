# Writes version_build.h (see CMakeLists.txt here): cmake -DSOURCE_DIR= -DGIT= -DVERSION=
# -DTEMPLATE= -DOUT= -P commit.cmake. configure_file leaves OUT untouched (its time
# stamp too) when the content is the same, so nothing that includes it rebuilds.
# Never fails the build: no git, no checkout or a git that refuses the tree all give
# "unknown".
set(ENV{GIT_OPTIONAL_LOCKS} 0) # a build must not hold the index lock of a checkout in use
set(FL_COMMIT unknown)

function(fl_git out)
  execute_process(COMMAND "${GIT}" -C "${SOURCE_DIR}" ${ARGN}
                  OUTPUT_VARIABLE text RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0)
    set(${out} "${text}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

if(GIT)
  # Only a checkout of this tree itself: a tarball unpacked inside some other git
  # repository must not report that repository's commit.
  fl_git(top rev-parse --show-toplevel)
  if(top)
    file(REAL_PATH "${top}" top)
    file(REAL_PATH "${SOURCE_DIR}" source)
    if(top STREQUAL source)
      fl_git(described describe --always --dirty)
      # The header holds it in a C string: a tag with other characters (git allows
      # quotes in ref names) falls back to the abbreviated commit.
      if(NOT described MATCHES "^[0-9A-Za-z._+/-]+$")
        fl_git(described describe --always --dirty --exclude=*)
      endif()
      if(described MATCHES "^[0-9A-Za-z._+/-]+$")
        set(FL_COMMIT "${described}")
      endif()
    endif()
  endif()
endif()

set(FL_VERSION "${VERSION}")
configure_file("${TEMPLATE}" "${OUT}" @ONLY)
