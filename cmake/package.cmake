# cpack -G DEB (in the build folder): a Debian package of what cmake --install installs, under
# /usr, depending on the Debian packages of the libraries tilerace links (objdump -p
# tilerace | grep NEEDED), with pocl recommended so that OpenCL has a device on any machine.
set(CPACK_PACKAGE_NAME tilerace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Mandelbrot tiles raced across CPU threads and OpenCL devices under a time limit")
set(CPACK_PACKAGE_DESCRIPTION
    "tilerace renders the Mandelbrot set as a grid of tiles under a time limit, on CPU threads\n"
    "or an OpenCL device (pocl or a GPU), and records when each tile started and how long it\n"
    "took, as JSON; it plays runs back as an HTML page and serves the same renders over HTTP.")
set(CPACK_PACKAGE_CONTACT "tilerace maintainers <tilerace@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(tilerace_deb_depends "libc6 (>= 2.34)" libcjson1 libpng16-16)
if(TILERACE_OPENCL)
  list(APPEND tilerace_deb_depends ocl-icd-libopencl1)
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS pocl-opencl-icd)
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS clinfo)
endif()
if(TILERACE_SERVER)
  list(APPEND tilerace_deb_depends libmicrohttpd12)
endif()
list(JOIN tilerace_deb_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
include(CPack)
