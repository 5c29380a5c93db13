# Bounded fuzzing run for ctest: copies the seed corpus into the build dir
# and fuzzes that copy for SECONDS seconds.  Arguments: FUZZER CORPUS WORK SECONDS.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
file(GLOB _seeds ${CORPUS}/*)
if(_seeds)
  file(COPY ${_seeds} DESTINATION ${WORK}/corpus)
endif()
# -rss_limit_mb keeps a runaway allocation a finding, not an OOM of the host;
# -timeout makes a hang (one input > 10 s) a finding.
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -print_final_stats=1
    -timeout=10 -rss_limit_mb=2048
    -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out ERROR_VARIABLE out)
# Keep the log (docs/hardening.md quotes the final stats from it).
file(WRITE ${WORK}/log.txt "${out}")
string(REGEX MATCHALL "(#[0-9]+[^\n]*DONE[^\n]*|stat::[^\n]*)" _stats "${out}")
foreach(l IN LISTS _stats)
  message(STATUS "${l}")
endforeach()
if(NOT rc EQUAL 0)
  string(LENGTH "${out}" _n)
  if(_n GREATER 6000)
    math(EXPR _start "${_n} - 6000")
    string(SUBSTRING "${out}" ${_start} 6000 out)
  endif()
  message(FATAL_ERROR "fuzzer exited with ${rc}; artifacts in ${WORK}/artifacts\n${out}")
endif()
