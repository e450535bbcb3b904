/* What files on Linux's anonymous inode (eventfd, epoll...) share. */
#ifndef MOAT_FS_ANON_H
#define MOAT_FS_ANON_H

struct file;
struct kstat;

/* fstat of an anonymous-inode file: mode 0600 and no file type, like Linux's anon_inode. */
long anon_file_stat(struct file *f, struct kstat *st);

#endif
