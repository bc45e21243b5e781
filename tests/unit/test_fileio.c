/* fileio: private atomic writes and whole-file reads, in a private temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kdeck/fileio.h"

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static void test_write_then_read(void **state)
{
    (void)state;
    char dir[512], file[600];
    snprintf(dir, sizeof dir, "%s/kdeck-fileio-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/a.json", dir);

    assert_int_equal(file_write_private(file, "{}\n", 3), 0);
    assert_int_equal(file_write_private(file, "{\"a\": 1}\n", 9), 0);   /* replaces */
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(entries(dir), 1);                                   /* no temp file left */

    size_t len = 0;
    int err = 0;
    char *text = file_read_all(file, 0, &len, &err);
    assert_non_null(text);
    assert_int_equal(len, 9);
    assert_string_equal(text, "{\"a\": 1}\n");
    free(text);
    assert_null(file_read_all(file, 8, &len, &err));
    assert_int_equal(err, EFBIG);

    char missing[700];
    snprintf(missing, sizeof missing, "%s/none/b.json", dir);
    assert_null(file_read_all(missing, 0, &len, &err));
    assert_int_equal(err, ENOENT);
    assert_int_equal(file_write_private(missing, "x", 1), -ENOENT);

    unlink(file);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_then_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
