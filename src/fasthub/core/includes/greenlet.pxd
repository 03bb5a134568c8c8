# greenlet's C API, declared once. The capsule is imported by the first module that cimports this
# (see import_greenlet()); every switch and throw in fasthub's compiled code goes through here.

cdef extern from "greenlet/greenlet.h":

    ctypedef class greenlet.greenlet [object PyGreenlet, check_size ignore]:
        pass

    void PyGreenlet_Import()
    bint PyGreenlet_Check(object o)
    greenlet PyGreenlet_GetCurrent()
    object PyGreenlet_Switch(greenlet g, void *args, void *kwargs)
    object PyGreenlet_Throw(greenlet g, object typ, object val, object tb)
    bint PyGreenlet_ACTIVE(greenlet g)
    bint PyGreenlet_STARTED(greenlet g)
    greenlet PyGreenlet_New(object run, greenlet parent)


cdef inline int import_greenlet() except -1:
    PyGreenlet_Import()
    return 0
