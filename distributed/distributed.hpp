// xg::distributed: processes that train together, on Open MPI (torch.distributed's names). Its
// own library, xgrad::distributed; the core library never links MPI.
//
//   mpirun -np 2 ./train       each process: init_process_group(), then the same collectives
//   ./train                    alone: rank 0 of a world of 1, every collective returns its input
//
// MPI gives neither a timeout nor a shape check, so this layer adds both ("never hang, never
// lie"): every collective first compares what each rank passed (which collective, how many
// values, the op or source) with one small MPI_Allreduce, and throws the same Error on every rank
// when they differ; and a watchdog thread (which never calls MPI) ends the job, naming the rank,
// the collective and its sequence number, when one has waited longer than the timeout. A rank
// whose exception escapes main ends the whole job with the exception's message (MPI_Abort).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace xg::distributed {

// init_process_group's keyword arguments.
struct ProcessGroupOptions {
    // How long one collective may wait for the other ranks before the watchdog ends the job.
    // PyTorch's default, 30 minutes; tests use seconds.
    std::chrono::milliseconds timeout = std::chrono::minutes(30);
};

// Joins the job mpirun (or another MPI launcher) started; without one, makes a world of one
// process with no MPI at all. Throws if called twice without destroy_process_group between.
void init_process_group(ProcessGroupOptions options = {});
// Leaves the job (MPI_Finalize, which waits for every rank: watched too); nothing happens if not
// initialized. A rank that exits without it (an error caught in main, then return 1) ends the
// whole job at exit, as Open MPI does for a rank that leaves without MPI_Finalize.
void destroy_process_group();
bool is_initialized();
int get_rank();        // 0 before init and without a launcher
int get_world_size();  // 1 before init and without a launcher

enum class ReduceOp { sum, mean, max, min };  // mean is PyTorch's ReduceOp.AVG

// In place on every rank, as torch.distributed.all_reduce: each element becomes the sum (mean,
// max, min) of that element over the ranks. Every rank must pass the same shape.
void all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::sum);
// In place: every rank's tensor becomes rank src's. Every rank must pass the same shape.
void broadcast(Tensor& tensor, int src);
// Every rank's tensor, in rank order (torch.distributed.all_gather returns them in a list it is
// given; here they are the result). Every rank must pass the same shape.
std::vector<Tensor> all_gather(const Tensor& tensor);
// Returns once every rank has called it.
void barrier();

// The raw collectives the above and nn::parallel::DistributedDataParallel are built on: the same
// checks and watchdog, on plain buffers.
namespace detail {
void all_reduce(float* values, std::size_t count, ReduceOp op, const char* who);
void broadcast(float* values, std::size_t count, int src, const char* who);
// Rank src's text on every rank; the other ranks' texts may differ in length (that's the point:
// DDP compares its parameter list this way).
std::string broadcast_text(const std::string& text, int src, const char* who);
// One integer from every rank, in rank order.
std::vector<std::int64_t> all_gather_int(std::int64_t value, const char* who);
// Throws unless init_process_group has been called: "`who`: call init_process_group() first".
void require_initialized(const char* who);
}  // namespace detail

}  // namespace xg::distributed
