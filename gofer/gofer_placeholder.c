/* The gofer arrives with the filesystem issue; this file keeps the library non-empty until then. */
int gofer_protocol_version(void);
int gofer_protocol_version(void)
{
    return 1;
}
