#include "loop/main_loop.h"

namespace locklab {

AioContext& main_context()
{
    static AioContext ctx("main");
    return ctx;
}

}  // namespace locklab
