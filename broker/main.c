/* skiffd entry point. */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "skiffd: not yet assembled\n");
    return 1;
}
