# Embeds a text file (a web page, an OpenCL kernel) into the binary as a C string, at build
# time, so the program needs no data files beside it.
#
#   include(cmake/embed_file.cmake)
#   embed_text_file(<input> <generated .c> <symbol>)
#   embed_text_file(INPUT <input> OUTPUT <generated .c> SYMBOL <symbol>)   # the same
#   target_sources(<target> PRIVATE <generated .c>)
#
# The generated source defines
#   const char <symbol>[];       the file's bytes, NUL-terminated
#   const size_t <symbol>_len;   their number, without the NUL
# and is rebuilt whenever the input changes. The bytes are written as a hex array, not a
# string literal, so any size compiles and nothing needs escaping.

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED EMBED_INPUT)
  # Script mode: cmake -DEMBED_INPUT=... -DEMBED_OUTPUT=... -DEMBED_SYMBOL=... -P embed_file.cmake
  file(READ "${EMBED_INPUT}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR len "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
  get_filename_component(name "${EMBED_INPUT}" NAME)
  file(WRITE "${EMBED_OUTPUT}.tmp"
       "/* Generated from ${name} by cmake/embed_file.cmake; do not edit. */\n"
       "#include <stddef.h>\n"
       "extern const char ${EMBED_SYMBOL}[];\n"
       "extern const size_t ${EMBED_SYMBOL}_len;\n"
       "const char ${EMBED_SYMBOL}[] = {\n    ${bytes}0x00};\n"
       "const size_t ${EMBED_SYMBOL}_len = ${len};\n")
  file(RENAME "${EMBED_OUTPUT}.tmp" "${EMBED_OUTPUT}")
  return()
endif()

set(TILERACE_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_FILE})

function(embed_text_file)
  cmake_parse_arguments(E "" "INPUT;OUTPUT;SYMBOL" "" ${ARGN})
  if(NOT E_INPUT)
    list(LENGTH ARGN n)
    if(NOT n EQUAL 3)
      message(FATAL_ERROR "embed_text_file(INPUT OUTPUT SYMBOL): expected 3 arguments, got ${n}")
    endif()
    list(GET ARGN 0 E_INPUT)
    list(GET ARGN 1 E_OUTPUT)
    list(GET ARGN 2 E_SYMBOL)
  endif()
  if(NOT E_SYMBOL MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "embed_text_file: '${E_SYMBOL}' is not a C identifier")
  endif()
  get_filename_component(out_dir "${E_OUTPUT}" DIRECTORY)
  file(MAKE_DIRECTORY "${out_dir}")
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DEMBED_INPUT=${E_INPUT} -DEMBED_OUTPUT=${E_OUTPUT}
            -DEMBED_SYMBOL=${E_SYMBOL} -P ${TILERACE_EMBED_SCRIPT}
    DEPENDS ${E_INPUT} ${TILERACE_EMBED_SCRIPT}
    COMMENT "Embedding ${E_INPUT}"
    VERBATIM)
endfunction()
