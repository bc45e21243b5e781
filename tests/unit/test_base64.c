/* base64: RFC 4648 vectors, round trips of every short length, wrapped input, bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/base64.h"

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                      "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        size_t n = 0;
        char *e = base64_encode(plain[i], strlen(plain[i]), &n);
        assert_non_null(e);
        assert_string_equal(e, enc[i]);
        assert_int_equal(n, strlen(enc[i]));
        assert_int_equal(base64_encoded_len(strlen(plain[i])), strlen(enc[i]));
        free(e);

        unsigned char *d = NULL;
        size_t dn = 99;
        assert_int_equal(base64_decode(enc[i], strlen(enc[i]), &d, &dn, NULL), BASE64_OK);
        assert_int_equal(dn, strlen(plain[i]));
        assert_memory_equal(d, plain[i], dn);
        assert_int_equal(d[dn], '\0'); /* usable as a C string */
        free(d);
    }
}

static void test_round_trip_binary(void **state)
{
    (void)state;
    unsigned char src[300];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (unsigned char)(i * 167 + 13);
    for (size_t len = 0; len <= sizeof src; len++) {
        char *e = base64_encode(src, len, NULL);
        assert_non_null(e);
        unsigned char *d;
        size_t dn;
        assert_int_equal(base64_decode(e, strlen(e), &d, &dn, NULL), BASE64_OK);
        assert_int_equal(dn, len);
        assert_memory_equal(d, src, len);
        free(d);
        free(e);
    }
}

static void test_whitespace_and_unpadded(void **state)
{
    (void)state;
    const char *wrapped = "Zm9v\nYmFy\r\n  Zm9v\tYg==\n";
    unsigned char *d;
    size_t dn;
    assert_int_equal(base64_decode(wrapped, strlen(wrapped), &d, &dn, NULL), BASE64_OK);
    assert_int_equal(dn, 10);
    assert_memory_equal(d, "foobarfoob", 10);
    free(d);
    /* padding is optional (websocket peers and some tools omit it) */
    assert_int_equal(base64_decode("Zm9vYg", 6, &d, &dn, NULL), BASE64_OK);
    assert_int_equal(dn, 4);
    assert_memory_equal(d, "foob", 4);
    free(d);
}

static void test_bad_input(void **state)
{
    (void)state;
    unsigned char *d = (unsigned char *)"x";
    size_t dn, pos = 0;
    assert_int_equal(base64_decode("Zm9v!mFy", 8, &d, &dn, &pos), BASE64_ERR_CHAR);
    assert_int_equal(pos, 4);
    assert_null(d);
    assert_int_equal(base64_decode("Zm9v-_", 6, &d, &dn, &pos), BASE64_ERR_CHAR); /* url alphabet */
    assert_int_equal(base64_decode("Z", 1, &d, &dn, &pos), BASE64_ERR_LENGTH);
    assert_int_equal(base64_decode("Zg=", 3, &d, &dn, &pos), BASE64_ERR_PADDING);
    assert_int_equal(base64_decode("Z===", 4, &d, &dn, &pos), BASE64_ERR_PADDING);
    assert_int_equal(base64_decode("=Zg=", 4, &d, &dn, &pos), BASE64_ERR_PADDING);
    assert_int_equal(base64_decode("Zg==Zg==", 8, &d, &dn, &pos), BASE64_ERR_PADDING);
    assert_int_equal(pos, 4);
    assert_int_equal(base64_decode("Zm9=v", 5, &d, &dn, &pos), BASE64_ERR_PADDING);
    assert_int_equal(base64_decode("Zm8===", 6, &d, &dn, &pos), BASE64_ERR_PADDING);
    assert_string_equal(base64_strerror(BASE64_ERR_CHAR), "invalid character");
}

static void test_buffers(void **state)
{
    (void)state;
    char small[8];
    assert_int_equal(base64_encode_buf(small, sizeof small, "foobar", 6), (size_t)-1);
    char fit[9];
    assert_int_equal(base64_encode_buf(fit, sizeof fit, "foobar", 6), 8);
    assert_string_equal(fit, "Zm9vYmFy");
    unsigned char out[5];
    size_t n;
    assert_int_equal(base64_decode_buf(out, sizeof out, "Zm9vYmFy", 8, &n, NULL),
                     BASE64_ERR_SPACE);
    assert_int_equal(base64_decode_buf(out, sizeof out, "Zm9vYg==", 8, &n, NULL), BASE64_OK);
    assert_int_equal(n, 4);
    assert_true(base64_decoded_max(8) >= 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_round_trip_binary),
        cmocka_unit_test(test_whitespace_and_unpadded),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
