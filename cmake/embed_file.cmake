# Embeds a text file (an OpenCL kernel, a web page) into the binary as a C string.
#
#   embed_text_file(INPUT <file> OUTPUT <generated .c> SYMBOL <name>)
#
# defines `const char <name>[]` (NUL-terminated) and `const size_t <name>_len` in the
# generated source, rebuilt whenever the input changes.

if(CMAKE_SCRIPT_MODE_FILE)
  # Script mode: cmake -DINPUT=... -DOUTPUT=... -DSYMBOL=... -P embed_file.cmake
  file(READ "${INPUT}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR len "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
  file(WRITE "${OUTPUT}.tmp"
       "/* Generated from ${INPUT} by cmake/embed_file.cmake; do not edit. */\n"
       "#include <stddef.h>\n"
       "const char ${SYMBOL}[] = {\n    ${bytes}0x00};\n"
       "const size_t ${SYMBOL}_len = ${len};\n")
  file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
  return()
endif()

set(TILERACE_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_FILE})

function(embed_text_file)
  cmake_parse_arguments(E "" "INPUT;OUTPUT;SYMBOL" "" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${E_INPUT} -DOUTPUT=${E_OUTPUT} -DSYMBOL=${E_SYMBOL}
            -P ${TILERACE_EMBED_SCRIPT}
    DEPENDS ${E_INPUT} ${TILERACE_EMBED_SCRIPT}
    COMMENT "Embedding ${E_INPUT}"
    VERBATIM)
endfunction()
