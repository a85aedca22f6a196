/* System reset through the finisher (0x7777): the machine reloads the image (initialised data is
 * back to its ELF value), devices return to their power-on state (the UART scratch register reads
 * 0 again), and RAM outside the image keeps what the first boot wrote (QEMU does not clear RAM).
 * The first boot leaves a marker there, changes device and data state, and requests the reset; the
 * second boot checks all three and passes. */
#include "guest.h"

#define BOOT_MARKER_ADDR (VIRT_DRAM_BASE + 0x400000ul) /* above the image, below the device tree */
#define BOOT_MARKER 0x5245534554ul                     /* "RESET" */
#define FINISHER_RESET 0x7777u
#define UART_SCR 7

static volatile uint64_t data_word = 41; /* .data: reloaded from the ELF on reset */

int guest_main(unsigned hartid)
{
    volatile uint64_t *marker = (volatile uint64_t *)BOOT_MARKER_ADDR;
    volatile uint8_t *uart = (volatile uint8_t *)VIRT_UART_BASE;
    CHECK(hartid == 0);
    if (*marker != BOOT_MARKER) {
        printf("first boot: requesting a reset\n");
        *marker = BOOT_MARKER;
        data_word = 99;
        uart[UART_SCR] = 0x5a;
        CHECK(uart[UART_SCR] == 0x5a);
        *(volatile uint32_t *)VIRT_TEST_BASE = FINISHER_RESET;
        for (;;) __asm__ volatile("wfi");
    }
    printf("second boot\n");
    *marker = 0;
    CHECK_EQ(data_word, 41);
    CHECK_EQ(uart[UART_SCR], 0);
    return 0;
}
