# netsample_embed(TARGET file symbol): compiles a data file into the target as
# `extern const std::string_view symbol;` so the binary runs without an install step,
# while the same file can be overridden from the data directory at run time.
function(netsample_embed target file symbol)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embedded_${symbol}.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DSYMBOL=${symbol}
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake"
    DEPENDS "${file}" "${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake"
    COMMENT "Embedding ${file}")
  target_sources(${target} PRIVATE "${out}")
endfunction()

# netsample_embed_large(TARGET file symbol): the same for a file of megabytes (a prebuilt browser bundle),
# included by the assembler's .incbin instead of being spelled out as a C++ array, which would cost the compiler
# minutes and gigabytes. The file must exist at configure time.
function(netsample_embed_large target file symbol)
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "${file} is missing: run `npm ci --prefix web/replay` (setup.sh does) before configuring")
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embedded_${symbol}.cc")
  file(WRITE "${out}.in"
    "#include <string_view>\n"
    "__asm__(\".section .rodata\\n.balign 16\\n.global netsample_blob_${symbol}\\n.hidden netsample_blob_${symbol}\\nnetsample_blob_${symbol}:\\n"
    ".incbin \\\"${file}\\\"\\n.global netsample_blob_${symbol}_end\\n.hidden netsample_blob_${symbol}_end\\nnetsample_blob_${symbol}_end:\\n.byte 0\\n.previous\\n\");\n"
    "extern \"C\" __attribute__((visibility(\"hidden\"))) const char netsample_blob_${symbol}[], netsample_blob_${symbol}_end[];\n"
    "namespace netsample::embedded {\n"
    "extern const std::string_view ${symbol};\n"
    "const std::string_view ${symbol}(netsample_blob_${symbol}, static_cast<std::size_t>(netsample_blob_${symbol}_end - netsample_blob_${symbol}));\n}\n")
  configure_file("${out}.in" "${out}" COPYONLY)
  target_sources(${target} PRIVATE "${out}")
  set_source_files_properties("${out}" PROPERTIES OBJECT_DEPENDS "${file}")
endfunction()
