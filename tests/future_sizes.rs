//! The size of a call's future, held by the caller's own future (and its task) for as long as
//! the call lasts, and copied when it is created and first awaited. Each request's state is
//! one heap block, so a call's future holds little more than a pointer to it and the call's
//! arguments: a regression (a layer that keeps the request, the body or an argument across
//! the `.await`) grows it past these bounds. Nothing is sent: the futures are created and
//! dropped without being polled.

use std::mem::size_of_val;

use credits_sdk::{AccountRef, CreateReservation, CreditsClient};

/// The bound for one call's future, in bytes: at this commit the largest of these (creating a
/// reservation, which keeps its argument) takes about 500, and took almost 1,000 before the
/// generated `send` stopped keeping its request and body across the `.await`.
const ONE_CALL: usize = 640;

#[test]
fn a_call_future_stays_small() {
    let client = CreditsClient::new("sk_test_future_sizes").unwrap();
    let reserve = client.create_reservation(CreateReservation::new(AccountRef::id("acc_1"), 10));
    let confirm = client.confirm_reservation("res_1", 7);
    let balance = client.get_balance(AccountRef::id("acc_1"));
    let builders = client.api().confirm_reservation().send();
    let sizes = [size_of_val(&reserve), size_of_val(&confirm), size_of_val(&balance), size_of_val(&builders)];
    println!(
        "facade create_reservation, confirm_reservation, get_balance; builders confirm_reservation: {sizes:?} bytes"
    );
    for (name, size) in
        ["create_reservation", "confirm_reservation", "get_balance", "builders' confirm_reservation"].iter().zip(sizes)
    {
        assert!(size <= ONE_CALL, "{name}'s future takes {size} bytes, more than {ONE_CALL}");
    }
}
