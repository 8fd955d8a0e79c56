# The colour map's stops live in one file (host/output/palette.tsv); this turns them into the C
# table of host/output/colormap.c and the STOPS array of the replay page, at build time.
#
#   include(cmake/palette.cmake)
#   palette_c_table(<palette.tsv> <generated .h>)        # {pos, {r, g, b}}, one stop a line
#   palette_page(<palette.tsv> <page.html> <generated page>)  # @TILERACE_PALETTE@ -> [[pos, [r, g, b]], ...]
#
# Each output is rebuilt whenever the palette, its input or this script changes. A palette that
# does not start at 0, rise strictly, end at 65536 and hold colours 0..255 stops the build.

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED PALETTE_INPUT)
  # Script mode: cmake -DPALETTE_INPUT=... -DPALETTE_OUTPUT=... [-DPALETTE_PAGE=...] -P palette.cmake
  file(STRINGS "${PALETTE_INPUT}" lines)
  set(c_rows "")
  set(js_rows "")
  set(last -1)
  set(count 0)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[ \t]*(#.*)?$")
      continue()
    endif()
    if(NOT line MATCHES "^([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)[ \t]*$")
      message(FATAL_ERROR "${PALETTE_INPUT}: '${line}' is not 'position red green blue'")
    endif()
    set(pos ${CMAKE_MATCH_1})
    set(rgb ${CMAKE_MATCH_2} ${CMAKE_MATCH_3} ${CMAKE_MATCH_4})
    foreach(c IN LISTS rgb)
      if(c GREATER 255)
        message(FATAL_ERROR "${PALETTE_INPUT}: '${line}': a colour is beyond 255")
      endif()
    endforeach()
    if(count EQUAL 0 AND NOT pos EQUAL 0)
      message(FATAL_ERROR "${PALETTE_INPUT}: the first stop is at ${pos}, not 0")
    endif()
    if(NOT pos GREATER last)
      message(FATAL_ERROR "${PALETTE_INPUT}: stop ${pos} does not follow ${last}")
    endif()
    list(GET rgb 0 r)
    list(GET rgb 1 g)
    list(GET rgb 2 b)
    string(APPEND c_rows "{${pos}, {${r}, ${g}, ${b}}},\n")
    if(count GREATER 0)
      string(APPEND js_rows ", ")
    endif()
    string(APPEND js_rows "[${pos}, [${r}, ${g}, ${b}]]")
    set(last ${pos})
    math(EXPR count "${count} + 1")
  endforeach()
  if(count LESS 2 OR NOT last EQUAL 65536)
    message(FATAL_ERROR "${PALETTE_INPUT}: the last stop is at ${last}, not 65536")
  endif()

  get_filename_component(name "${PALETTE_INPUT}" NAME)
  if(DEFINED PALETTE_PAGE)
    file(READ "${PALETTE_PAGE}" page)
    string(FIND "${page}" "@TILERACE_PALETTE@" first)
    string(FIND "${page}" "@TILERACE_PALETTE@" again REVERSE)
    if(first EQUAL -1 OR NOT first EQUAL again)
      message(FATAL_ERROR "${PALETTE_PAGE}: needs @TILERACE_PALETTE@ exactly once")
    endif()
    string(REPLACE "@TILERACE_PALETTE@" "[${js_rows}]" page "${page}")
    file(WRITE "${PALETTE_OUTPUT}.tmp" "${page}")
  else()
    file(WRITE "${PALETTE_OUTPUT}.tmp"
         "/* Generated from ${name} by cmake/palette.cmake; do not edit. */\n${c_rows}")
  endif()
  file(RENAME "${PALETTE_OUTPUT}.tmp" "${PALETTE_OUTPUT}")
  return()
endif()

set(TILERACE_PALETTE_SCRIPT ${CMAKE_CURRENT_LIST_FILE})

function(palette_c_table palette output)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DPALETTE_INPUT=${palette} -DPALETTE_OUTPUT=${output}
            -P ${TILERACE_PALETTE_SCRIPT}
    DEPENDS ${palette} ${TILERACE_PALETTE_SCRIPT}
    COMMENT "Colour map table from ${palette}"
    VERBATIM)
endfunction()

function(palette_page palette page output)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DPALETTE_INPUT=${palette} -DPALETTE_PAGE=${page}
            -DPALETTE_OUTPUT=${output} -P ${TILERACE_PALETTE_SCRIPT}
    DEPENDS ${palette} ${page} ${TILERACE_PALETTE_SCRIPT}
    COMMENT "Colour map into ${page}"
    VERBATIM)
endfunction()
