/* The smallest guest: prints through the UART and passes. Pins the runtime's output format
 * (hello.expected) and printf's conversions. */
#include "guest.h"

int guest_main(unsigned hartid)
{
    printf("hello from hart %u\n", hartid);
    printf("[%d] [%5d] [%05d] [%x] [%08lx] [%lu] [%s] [%c] [%%]\n", -42, 42, -42, 0xbeefu,
           0x1234ul, 18446744073709551615ul, "text", 'c');
    CHECK(hartid == 0);
    return 0;
}
