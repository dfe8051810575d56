# SigV4 differential test: sigv4_dump signs request specs with the C signer and
# botocore_diff.py compares every canonical request, string to sign and signature with
# botocore's SigV4Auth / S3SigV4Auth (Debian's python3-botocore under LC_PYTHON).
add_executable(sigv4_dump ${CMAKE_CURRENT_SOURCE_DIR}/sigv4/sigv4_dump.c)
target_link_libraries(sigv4_dump PRIVATE lcagent)

add_test(NAME sigv4.botocore_diff
         COMMAND ${LC_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/sigv4/botocore_diff.py
                 --dump $<TARGET_FILE:sigv4_dump>)
set_tests_properties(sigv4.botocore_diff PROPERTIES LABELS unit TIMEOUT 300)
