# cmake -DAS=... -DOBJCOPY=... -DOBJDUMP=... -DSOURCE=x.S -DOUTPUT=x.dump -P objdump_fixture.cmake
# Assemble SOURCE for RV64IMAC, keep its .text as a raw binary (no symbols, so objdump prints branch
# targets as plain addresses) and write objdump's no-aliases disassembly of it to OUTPUT.
cmake_minimum_required(VERSION 3.25)
get_filename_component(_dir ${OUTPUT} DIRECTORY)
file(MAKE_DIRECTORY ${_dir})
set(_obj ${OUTPUT}.o)
set(_bin ${OUTPUT}.bin)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGV0} failed (${rc}): ${err}")
  endif()
endfunction()

run(${AS} -march=rv64imac_zicsr_zifencei -mpriv-spec=1.12 -o ${_obj} ${SOURCE})
run(${OBJCOPY} -O binary --only-section=.text ${_obj} ${_bin})
execute_process(
  COMMAND ${OBJDUMP} -D -b binary -m riscv:rv64 -M no-aliases,priv-spec=1.12 ${_bin}
  OUTPUT_FILE ${OUTPUT}.tmp RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objdump failed (${rc}): ${err}")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
