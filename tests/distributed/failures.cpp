// Jobs that must end, not hang: run under `mpirun -np 2` by mpirun_check.sh, which checks the
// message and that the job ended within its time limit.
//   failures stall   rank 1 stops calling collectives; rank 0's watchdog ends the job (timeout 2 s)
//   failures throw   rank 1 throws out of main; the job ends with its message (timeout 600 s,
//                    so only the abort can end rank 0's wait in time)
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include "distributed/distributed.hpp"
#include "xgrad.hpp"

using namespace xg;
namespace dist = xg::distributed;

int main(int argc, char** argv) {
    const bool stall = argc == 2 && std::strcmp(argv[1], "stall") == 0;
    const bool throws = argc == 2 && std::strcmp(argv[1], "throw") == 0;
    if (!stall && !throws) {
        std::cerr << "usage: failures stall|throw\n";
        return 2;
    }
    dist::init_process_group({.timeout = stall ? std::chrono::seconds(2) : std::chrono::seconds(600)});
    Tensor t = Tensor::ones({1000});
    for (int i = 0; i < 3; ++i) dist::all_reduce(t);  // a few collectives that pair up
    if (dist::get_rank() == 1) {
        if (throws) throw Error("failures: rank 1 gives up on purpose (a bad batch)");
        std::this_thread::sleep_for(std::chrono::seconds(120));  // stops calling collectives
    }
    dist::all_reduce(t);  // rank 0 waits here
    std::cerr << "failures: rank " << dist::get_rank() << " got past the collective it should have waited in\n";
    return 0;
}
